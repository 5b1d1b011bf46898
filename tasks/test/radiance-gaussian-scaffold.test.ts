import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '@strata/shared';
import {
  GAUSSIAN_DENSIFY_TENSOR,
  GAUSSIAN_LOG_SCALE,
  GAUSSIAN_OPACITY,
  GAUSSIAN_PARAMS_TENSOR,
  GAUSSIAN_SCAFFOLD_TENSOR,
  GAUSSIAN_STRIDE,
  GaussianCloud,
  logit,
  refreshScaffold,
  scaffoldModel,
  scaffoldSlots,
} from '../src/radiance/index.js';

test('a scaffold refresh keeps every surviving Gaussian in its slot and puts new ones in free slots with the new generation', () => {
  const cloud = GaussianCloud.randomInBox({ min: [-1, -1, -1], max: [1, 1, 1] }, 4, 1, 0.5);
  const p = cloud.params;
  for (let i = 0; i < 4; i++) for (let a = 0; a < 3; a++) p[i * GAUSSIAN_STRIDE + GAUSSIAN_LOG_SCALE + a] = Math.log(0.01);
  p[1 * GAUSSIAN_STRIDE + GAUSSIAN_LOG_SCALE] = Math.log(0.5); // row 1 is large: it splits
  p[2 * GAUSSIAN_STRIDE + GAUSSIAN_OPACITY] = logit(0.001); // row 2 is transparent: pruned
  const model = scaffoldModel(cloud, 8);
  const before = model.get(GAUSSIAN_PARAMS_TENSOR)!.values.slice();
  model.get(GAUSSIAN_DENSIFY_TENSOR)!.values.set([1, 1, 0, 0]); // rows 0 (clone) and 1 (split) over the threshold
  const result = refreshScaffold(
    model,
    {
      densify: true,
      resetOpacity: false,
      settings: { gradThreshold: 0.5, splitSize: 0.1, pruneOpacity: 0.005, maxWorldSize: Number.POSITIVE_INFINITY },
    },
    3,
    new SeededRandom(1),
  );
  assert.deepEqual(result, { cloned: 1, split: 1, pruned: 1, count: 5 });
  const scaffold = model.get(GAUSSIAN_SCAFFOLD_TENSOR)!.values;
  // Rows 0 and 3 survive where they were; the clone and the two halves fill slots 4, 5, 6; 1 and 2 are free.
  assert.deepEqual([...scaffold], [1, 0, 0, 1, 3, 3, 3, 0]);
  assert.deepEqual([...scaffoldSlots(model)], [0, 3, 4, 5, 6]);
  const params = model.get(GAUSSIAN_PARAMS_TENSOR)!.values;
  const row = (values: Float32Array, r: number) => [...values.subarray(r * GAUSSIAN_STRIDE, (r + 1) * GAUSSIAN_STRIDE)];
  assert.deepEqual(row(params, 0), row(before, 0));
  assert.deepEqual(row(params, 3), row(before, 3));
  assert.deepEqual(row(params, 4), row(before, 0), 'the clone copies row 0');
  assert.ok(row(params, 1).every((v) => v === 0) && row(params, 2).every((v) => v === 0), 'free slots are zeroed');
  assert.ok(model.get(GAUSSIAN_DENSIFY_TENSOR)!.values.every((v) => v === 0));
});
