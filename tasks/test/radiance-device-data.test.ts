// A voxel-grid device rebuilt from its data as a page carries it (a browser device: its views as JSON, the grid
// trained inline) trains bit for bit as the task's own device of that partition; the data is untrusted (a
// user's own file) and checked, naming what is wrong.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataError } from '@strata/shared';
import { deviceFromData } from '../src/device-from-data.js';
import {
  ProceduralScene,
  RadianceVoxelGridTask,
  base64ToFloat32,
  float32ToBase64,
  radianceDeviceData,
  radianceDeviceFromData,
} from '../src/radiance/index.js';

const scene = new ProceduralScene({ seed: 11, size: 16, views: 24 }).dataset();
const task = new RadianceVoxelGridTask(scene, { devices: 3, points: 16 ** 3, seed: 2 });
const options = (round: number) => ({ round, localSteps: 4, options: { ...task.defaultOptions(), batchSize: 256 } });

/** Runs `work` as a page that is not cross-origin isolated would: with no SharedArrayBuffer. */
async function withoutSharedMemory<T>(work: () => Promise<T>): Promise<T> {
  const saved = globalThis.SharedArrayBuffer;
  Reflect.deleteProperty(globalThis, 'SharedArrayBuffer');
  try {
    return await work();
  } finally {
    globalThis.SharedArrayBuffer = saved;
  }
}

test('float32 arrays survive base64 to the bit; a wrong length or bad text is refused', () => {
  const values = Float32Array.from([0, 1, -0, 0.1, Number.MIN_VALUE, 3.4e38]);
  assert.deepEqual(base64ToFloat32(float32ToBase64(values), 6, 'v'), values);
  assert.throws(() => base64ToFloat32(float32ToBase64(values), 5, 'v'), /v: 24 bytes, need 20/);
  assert.throws(() => base64ToFloat32('%%%', 1, 'v'), /v: not base64/);
});

test("a voxel-grid device built from its data (through JSON) trains bit for bit as the task's own, with no SharedArrayBuffer", async (t) => {
  t.after(() => task.close());
  const data = JSON.parse(JSON.stringify(radianceDeviceData(task, 1)));
  const built = deviceFromData(data);
  assert.equal(built.unit, 'rays');
  assert.match(built.summary, /^\d+ views of 16×16 \(\d[\d,]* rays\)$/);
  const original = task.createDevice(1);
  assert.equal(built.trainer.numSamples, original.numSamples);
  const model = task.initModel();
  // Two rounds: each draws its rays from a seed of its own.
  for (let round = 1; round <= 2; round++) {
    const mine = await withoutSharedMemory(() => built.trainer.train(model, options(round)));
    const theirs = await original.train(model, options(round));
    assert.deepEqual(mine, theirs, `round ${round}`);
    assert.equal(built.work(mine, options(round)), 4 * 256, 'its work is the rays it trained');
  }
  assert.deepEqual(built.trainer.privateState(), {});
  assert.throws(() => built.trainer.restorePrivateState({ held: new Float32Array(2) }), /saved state holds held\[2\]/);
});

test('bad voxel-grid device data is refused naming what is wrong', () => {
  const good = radianceDeviceData(task, 0);
  const view = good.views[0];
  const cases: [unknown, RegExp][] = [
    [{ ...good, extra: 1 }, /device data/],
    [{ ...good, views: [] }, /views: /],
    [{ ...good, views: [{ ...view, rgb: view.rgb.slice(8) }] }, /views\.0\.rgb: \d+ bytes, need 3072/],
    [
      { ...good, views: [{ ...view, rgb: float32ToBase64(new Float32Array(768).fill(2)) }] },
      /views\.0\.rgb holds 2 at 0, outside \[0, 1\]/,
    ],
    [{ ...good, views: [{ ...view, camera: { ...view.camera, width: 0 } }] }, /views\.0\.camera\.width/],
    [{ ...good, views: [{ ...view, camera: { ...view.camera, c2w: [1, 2] } }] }, /views\.0\.camera\.c2w/],
    [{ ...good, views: [{ ...view, camera: { ...view.camera, width: 4096, height: 4096 } }] }, /more than 4194304 pixels/],
    [{ ...good, settings: { ...good.settings, far: 0 } }, /march settings: far = 0/],
    [{ ...good, geometry: { ...good.geometry, bbox: { min: [0, 0, 0], max: [1, 1, 0] } } }, /bounding box axis 2/],
    [{ ...good, geometry: { ...good.geometry, dims: [1024, 1024, 1024] } }, /the grid has 1073741824 points, at most 16777216/],
    [{ ...good, seed: 'x' }, /seed/],
  ];
  for (const [bad, message] of cases) {
    assert.throws(
      () => radianceDeviceFromData(bad),
      (error: unknown) => error instanceof DataError && message.test(error.message),
    );
  }
  assert.throws(
    () => deviceFromData({ task: 'radiance/gaussians' }),
    /task "radiance\/gaussians" is not one of recsys\/bpr-mf, recsys\/neumf, radiance\/voxel-grid/,
  );
  assert.throws(() => radianceDeviceData(task, 3), /out of range/);
});
