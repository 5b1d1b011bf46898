import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FedAvg, InvalidUpdateError, cloneModel, decodeUpdate, encodeUpdate, type ModelUpdate, type SparseRows } from '@strata/shared';
import {
  COLOR_MOMENT_TENSOR,
  COLOR_TENSOR,
  DENSITY_MOMENT_TENSOR,
  DENSITY_TENSOR,
  ProceduralScene,
  RadianceVoxelGridTask,
  DEFAULT_RADIANCE_DEVICE_OPTIONS,
  SparseAdam,
  VoxelGrid,
  createAdamState,
  createGradientBuffers,
  geometryForPointCount,
  type AdamHyper,
  type SceneDataset,
} from '../src/radiance/index.js';

const box = { min: [-1, -1, -1], max: [1, 1, 1] } as const;

/** One Adam step (step 1) of a 4³ grid whose point 5 has density gradient `gd` and colour gradients `gc`. */
function stepOnePoint(
  gd: number,
  gc: number,
  shared: [number, number] | null,
  clip = 2,
): { density: number; colour: number; squares: Float32Array } {
  const grid = VoxelGrid.create(geometryForPointCount(box, 4 ** 3), 1);
  const C = grid.channels;
  const grads = createGradientBuffers(grid.pointCount, C, false);
  const v = 5;
  grads.touched[v] = 1;
  grads.values[v * grads.stride] = gd;
  for (let c = 0; c < C; c++) grads.values[v * grads.stride + 1 + c] = gc;
  const moment = new Float32Array(2 * grid.pointCount);
  if (shared) moment.set(shared, 2 * v);
  const squares = new Float32Array(3 * grid.pointCount);
  const adam = new SparseAdam(grid, createAdamState(grid.pointCount, C), [grads], null, { moment, squares });
  const hyper: AdamHyper = { step: 1, lrDensity: 0.1, lrColor: 0.05, beta1: 0.9, beta2: 0.99, epsilon: 0, sharedStepClip: clip };
  adam.update(0, grid.geometry.dims[0], hyper);
  return { density: grid.density[v], colour: grid.sh[v * C], squares: squares.subarray(3 * v, 3 * v + 3) };
}

test('under a shared second moment a step is linear in the gradient, clipped to clip learning rates', () => {
  const close = (a: number, b: number): void => assert.ok(Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b)), `${a} != ${b}`);
  // Step 1: m̂ is the gradient itself; the step is lr * g / sqrt(v).
  const v = 1e-4;
  const one = stepOnePoint(1e-3, 2e-3, [v, v]);
  const two = stepOnePoint(2e-3, 4e-3, [v, v]);
  close(one.density, (-0.1 * 1e-3) / Math.sqrt(v));
  close(one.colour, (-0.05 * 2e-3) / Math.sqrt(v));
  close(two.density, 2 * one.density);
  close(two.colour, 2 * one.colour);
  // A gradient far above the shared moment steps clip learning rates, not more.
  const big = stepOnePoint(1, -1, [v, v], 3);
  close(big.density, -0.3);
  close(big.colour, 0.15);
  // A point without a shared moment steps with its own Adam: a first step is one learning rate.
  const own = stepOnePoint(1e-3, 2e-3, null);
  close(own.density, -0.1);
  close(own.colour, -0.05);
  // Every step reports what it saw: one step, g_density², mean g_colour².
  close(own.squares[0], 1);
  close(own.squares[1], 1e-6);
  close(own.squares[2], 4e-6);
});

const scene: SceneDataset = new ProceduralScene({ seed: 11, size: 32, views: 40 }).dataset();
const deviceOptions = { ...DEFAULT_RADIANCE_DEVICE_OPTIONS, batchSize: 512, lrDensity: 0.3, lrColor: 0.15 };

test("devices upload their squared gradients by steps, and the tiers' weighted mean leaves the pooled moment in the model", async () => {
  const task = new RadianceVoxelGridTask(scene, { devices: 2, points: 24 ** 3, seed: 2 });
  try {
    const model = task.initModel();
    const points = model.get(DENSITY_TENSOR)!.shape[0];
    assert.deepEqual(model.get(DENSITY_MOMENT_TENSOR)!.shape, [points, 1]);
    assert.ok(model.get(COLOR_MOMENT_TENSOR)!.values.every((x) => x === 0));
    const kappa1 = 4;
    const updates: ModelUpdate[] = [];
    for (let i = 0; i < 2; i++)
      updates.push(await task.createDevice(i).train(model, { round: 1, localSteps: kappa1, options: deviceOptions }));
    for (const u of updates) {
      const density = u.delta.get(DENSITY_TENSOR) as SparseRows;
      // No row weights: each point counts as much as the update, and every device's update weighs the same.
      assert.equal(density.rowWeights, undefined);
      assert.equal((u.delta.get(COLOR_TENSOR) as SparseRows).rowWeights, undefined);
      assert.equal(u.weight, updates[0].weight);
      for (const name of [DENSITY_MOMENT_TENSOR, COLOR_MOMENT_TENSOR]) {
        const m = u.delta.get(name) as SparseRows;
        assert.deepEqual(Array.from(m.rows), Array.from(density.rows));
        assert.ok(
          m.rowWeights!.every((w) => Number.isInteger(w) && w >= 1 && w <= kappa1),
          `${name} weights are step counts`,
        );
        assert.ok(
          m.values.every((x) => x > 0 && Number.isFinite(x)),
          `${name} values are mean squared gradients`,
        );
      }
    }
    // Pooled over both devices: sum of (steps × mean) over sum of steps, per point.
    const expected = new Map<number, [number, number]>();
    for (const u of updates) {
      const m = u.delta.get(DENSITY_MOMENT_TENSOR) as SparseRows;
      m.rows.forEach((row, i) => {
        const [s, n] = expected.get(row) ?? [0, 0];
        expected.set(row, [s + m.rowWeights![i] * m.values[i], n + m.rowWeights![i]]);
      });
    }
    const strategy = new FedAvg();
    strategy.apply(model, strategy.aggregate([strategy.aggregate([updates[0]]), strategy.aggregate([updates[1]])]));
    const pooled = model.get(DENSITY_MOMENT_TENSOR)!.values;
    for (const [row, [s, n]] of expected) assert.ok(Math.abs(pooled[row] - s / n) <= 1e-5 * (s / n), `point ${row}`);
    // The next round steps under it.
    const next = await task.createDevice(0).train(model, { round: 2, localSteps: 2, options: deviceOptions });
    assert.ok((next.delta.get(DENSITY_TENSOR) as SparseRows).values.every(Number.isFinite));

    // Compressed to float16, moments keep three digits down to float16's smallest normal number; below it (points
    // whose gradients are negligible) they may flush to zero, and such a point steps with the device's own Adam.
    const exact = updates[0].delta.get(DENSITY_MOMENT_TENSOR) as SparseRows;
    const compressed = decodeUpdate(encodeUpdate(updates[0], { roundId: 'r', baseVersion: 1, dtype: 'float16', perRowScale: true })).update;
    const half = compressed.delta.get(DENSITY_MOMENT_TENSOR) as SparseRows;
    half.values.forEach((x, i) => {
      const want = exact.values[i];
      assert.ok(x >= 0 && (want < 6.1e-5 || Math.abs(x - want) <= 1e-3 * want), `moment ${want} arrived as ${x}`);
    });

    // A model without the moment tensors is refused with their name.
    const bare = cloneModel(model);
    bare.delete(COLOR_MOMENT_TENSOR);
    await assert.rejects(
      task.createDevice(0).train(bare, { round: 2, localSteps: 1, options: deviceOptions }),
      (err: unknown) => err instanceof InvalidUpdateError && /color_grad_sq/.test(err.message),
    );
    await assert.rejects(
      task.createDevice(0).train(model, { round: 2, localSteps: 1, options: { ...deviceOptions, sharedStepClip: 0 } }),
      /sharedStepClip/,
    );
  } finally {
    await task.close();
  }
});

test('without the shared moment devices step with their own Adam, weight points by visibility and upload no moments', async () => {
  const task = new RadianceVoxelGridTask(scene, { devices: 2, points: 24 ** 3, seed: 2, sharedSecondMoment: false });
  try {
    const model = task.initModel();
    assert.deepEqual([...model.keys()], [DENSITY_TENSOR, COLOR_TENSOR]);
    const update = await task.createDevice(0).train(model, { round: 1, localSteps: 3, options: deviceOptions });
    assert.deepEqual([...update.delta.keys()], [DENSITY_TENSOR, COLOR_TENSOR]);
    const weights = (update.delta.get(DENSITY_TENSOR) as SparseRows).rowWeights!;
    assert.ok(weights.every((w) => w > 0 && Number.isFinite(w)) && weights.some((w) => w !== 1), 'visibility weights');
  } finally {
    await task.close();
  }
});
