// A recommender device rebuilt from its data as a page carries it (a browser device) trains exactly as the
// Node device of the same user; the data is untrusted (a user's own file) and checked; the private state a
// page persists across reloads restores the device.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataError, type LocalTrainOptions } from '@strata/shared';
import { BprMfTask, NeuMFTask, loadInteractions, ml100kSource, recsysDeviceData, recsysDeviceFromData } from '../src/recsys/index.js';

const data = loadInteractions(ml100kSource());
const tasks = [BprMfTask.fromInteractions(data, { seed: 3, dim: 16 }), NeuMFTask.fromInteractions(data, { seed: 3 })];
const options = (task: BprMfTask | NeuMFTask, round: number): LocalTrainOptions => ({
  round,
  localSteps: 2,
  options: task.defaultOptions(),
});

for (const task of tasks) {
  test(`${task.id}: a device built from its data (through JSON) trains and evaluates bit for bit as the task's own`, async () => {
    const rebuilt = recsysDeviceFromData(JSON.parse(JSON.stringify(recsysDeviceData(task, 7))));
    const original = task.createDevice(7);
    const model = task.initModel();
    // Two rounds: the second starts from the user state (embeddings, optimizer, sampler) the first left.
    for (let round = 1; round <= 2; round++) {
      assert.deepEqual(await rebuilt.train(model, options(task, round)), await original.train(model, options(task, round)));
    }
    assert.deepEqual(await rebuilt.evaluate?.(model), await original.evaluate(model));
  });

  test(`${task.id}: the private state a page persists restores the device; one of other sizes is refused`, async () => {
    const trained = recsysDeviceFromData(recsysDeviceData(task, 2));
    await trained.train(task.initModel(), options(task, 1));
    const resumed = recsysDeviceFromData(recsysDeviceData(task, 2));
    assert.notDeepEqual(resumed.privateState(), trained.privateState());
    resumed.restorePrivateState(trained.privateState());
    assert.deepEqual(resumed.privateState(), trained.privateState());
    assert.throws(() => resumed.restorePrivateState({ other: new Float32Array(3) }), /the saved state holds other\[3\], this device needs/);
  });
}

test('bad device data is refused naming what is wrong', () => {
  const good = recsysDeviceData(tasks[0], 0);
  const cases: [unknown, RegExp][] = [
    [{ ...good, task: 'radiance/voxel-grid' }, /device data: task: /],
    [{ ...good, trainItems: [1, 2, 1682] }, /trainItems holds item 1682, outside \[0, 1682\)/],
    [{ ...good, testItems: [4, 4] }, /testItems holds item 4 twice/],
    [{ ...good, trainItems: [1.5] }, /trainItems\.0: /],
    [{ ...good, extra: 1 }, /device data/],
    [{ ...good, numItems: 2, trainItems: [0, 1], testItems: [] }, /no negative can be sampled/],
    [{ ...good, options: { dim: -1 } }, /dim/],
    ['not an object', /\(root\)/],
  ];
  for (const [bad, message] of cases) assert.throws(() => recsysDeviceFromData(bad), message);
  assert.throws(() => recsysDeviceFromData({ ...good, trainItems: [1682] }), DataError);
  assert.throws(() => recsysDeviceData(tasks[0], tasks[0].numDevices), /out of range/);
});
