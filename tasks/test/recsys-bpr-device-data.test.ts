// A BPR-MF device rebuilt from its data as a page carries it (a browser device) trains exactly as the Node
// device of the same user; the data is untrusted (a user's own file) and checked; the private state a page
// persists across reloads restores the device.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataError, type LocalTrainOptions } from '@strata/shared';
import { BprMfTask, bprMfDeviceData, bprMfDeviceFromData, loadInteractions, ml100kSource } from '../src/recsys/index.js';

const task = BprMfTask.fromInteractions(loadInteractions(ml100kSource()), { seed: 3, dim: 16 });
const options = (round: number): LocalTrainOptions => ({ round, localSteps: 2, options: task.defaultOptions() });

test('a device built from its data (through JSON) trains and evaluates bit for bit as the task’s own device', async () => {
  const data = JSON.parse(JSON.stringify(bprMfDeviceData(task, 7))) as unknown;
  const rebuilt = bprMfDeviceFromData(data);
  const original = task.createDevice(7);
  const model = task.initModel();
  // Two rounds: the second starts from the user state (embedding, optimizer, sampler) the first left.
  for (let round = 1; round <= 2; round++) assert.deepEqual(await rebuilt.train(model, options(round)), await original.train(model, options(round)));
  assert.deepEqual(await rebuilt.evaluate(model), await original.evaluate(model));
});

test('the private state a page persists restores the device (and one of other dimensions is refused)', async () => {
  const data = bprMfDeviceData(task, 2);
  const trained = bprMfDeviceFromData(data);
  await trained.train(task.initModel(), options(1));
  const resumed = bprMfDeviceFromData(data);
  assert.notDeepEqual(resumed.userEmbedding, trained.userEmbedding);
  resumed.restorePrivateState(trained.privateState());
  assert.deepEqual(resumed.privateState(), trained.privateState());
  assert.throws(
    () => resumed.restorePrivateState({ userEmbedding: new Float32Array(3), userOptimizerState: new Float32Array(1) }),
    /saved user state has 3 \+ 1 values, this device needs 16 \+ 1/,
  );
});

test('bad device data is refused naming what is wrong', () => {
  const good = bprMfDeviceData(task, 0);
  const cases: [unknown, RegExp][] = [
    [{ ...good, task: 'recsys/neumf' }, /task: /],
    [{ ...good, trainItems: [1, 2, 1682] }, /trainItems holds item 1682, outside \[0, 1682\)/],
    [{ ...good, testItems: [4, 4] }, /testItems holds item 4 twice/],
    [{ ...good, trainItems: [1.5] }, /trainItems\.0: /],
    [{ ...good, extra: 1 }, /bpr-mf device data/],
    [{ ...good, numItems: 2, trainItems: [0, 1], testItems: [] }, /no negative can be sampled/],
    [{ ...good, options: { dim: -1 } }, /dim/],
    ['not an object', /\(root\)/],
  ];
  for (const [data, message] of cases) assert.throws(() => bprMfDeviceFromData(data), message);
  assert.throws(() => bprMfDeviceFromData({ ...good, trainItems: [1682] }), DataError);
  assert.throws(() => bprMfDeviceData(task, task.numDevices), /out of range/);
});
