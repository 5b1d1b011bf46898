import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_CENTRALIZED_OPTIONS,
  GridRenderer,
  ProceduralScene,
  VoxelGrid,
  allocateTrainingBuffers,
  buildRaySet,
  computeOccupancy,
  createGridTrainer,
  evaluateViews,
  geometryForPointCount,
  psnr,
  ssim,
  trainCentralized,
  type CentralizedOptions,
  type SceneDataset,
} from '../src/radiance/index.js';

const scene: SceneDataset = new ProceduralScene({ seed: 7, size: 32, views: 32 }).dataset();

const small = (threads: number): CentralizedOptions => ({
  ...DEFAULT_CENTRALIZED_OPTIONS,
  threads,
  seed: 3,
  batchSize: 1024,
  coarse: { points: 24 ** 3, steps: 150, weightThreshold: 0, tvDensity: 0, tvColor: 0 },
  fine: [{ points: 40 ** 3, steps: 150, weightThreshold: 1e-4, tvDensity: 0, tvColor: 0 }],
});

test('centralized coarse-to-fine training on a small procedural scene lands in its PSNR band (seeded, one thread)', async () => {
  const stages: string[] = [];
  const result = await trainCentralized(scene, small(1), { stageFinished: (stage) => void stages.push(stage) });
  assert.deepEqual(stages, ['coarse', 'fine-1']);
  const evaluation = evaluateViews(new GridRenderer(result.grid, result.settings), scene.test);
  // Measured 31.84 dB; an untrained grid renders white (about 12 dB here).
  assert.ok(evaluation.psnr > 29 && evaluation.psnr < 36, `held-out PSNR ${evaluation.psnr}`);
  assert.ok(evaluation.ssim > 0.9, `SSIM ${evaluation.ssim}`);
  // The fine grid was fitted to the occupied box, inside the scene box.
  const { bbox } = result.grid.geometry;
  assert.ok(bbox.max[0] - bbox.min[0] < 2.9 && bbox.max[2] - bbox.min[2] < 2.9);
  // The same seed gives the same model.
  const again = await trainCentralized(scene, small(1));
  assert.deepEqual(Array.from(again.grid.density.subarray(0, 5000)), Array.from(result.grid.density.subarray(0, 5000)));
});

test('two worker threads train as well as one and leave every gradient buffer cleared', async () => {
  const oneStage = (threads: number): CentralizedOptions => ({
    ...small(threads),
    coarse: { ...small(threads).coarse, steps: 0 },
    fine: [{ points: 24 ** 3, steps: 150, weightThreshold: 0, tvDensity: 0, tvColor: 0 }],
  });
  const inline = await trainCentralized(scene, oneStage(1));
  const threaded = await trainCentralized(scene, oneStage(2));
  const p1 = evaluateViews(new GridRenderer(inline.grid, inline.settings), scene.test, false).psnr;
  const p2 = evaluateViews(new GridRenderer(threaded.grid, threaded.settings), scene.test, false).psnr;
  assert.ok(p2 > 20 && Math.abs(p1 - p2) < 1.5, `one thread ${p1} dB, two threads ${p2} dB`);
  assert.equal(threaded.rays, inline.rays);

  // Gradient buffers of both threads are merged and cleared by every step.
  const grid = VoxelGrid.create(geometryForPointCount(scene.bbox, 16 ** 3), 1);
  const rays = buildRaySet(scene.train, true);
  const buffers = allocateTrainingBuffers(grid, inline.settings, rays, {
    threads: 2,
    trackTouched: true,
    visibility: true,
    occupancy: computeOccupancy(grid, { ...inline.settings, occupancyAlpha: 0 }).occupancy,
  });
  const trainer = createGridTrainer(2);
  try {
    await trainer.load(buffers);
    const r = await trainer.run({
      firstStep: 1,
      steps: 3,
      batchSize: 512,
      lrDensity: 0.1,
      lrColor: 0.05,
      lrDecayPerStep: 1,
      tvDensity: 1e-6,
      tvColor: 0,
      beta1: 0.9,
      beta2: 0.99,
      epsilon: 1e-15,
      seed: 1,
    });
    assert.equal(r.rays, 1536);
    for (const g of buffers.grads) {
      assert.ok(g.values.every((x) => x === 0) && g.touched.every((x) => x === 0));
    }
    const touched = buffers.everTouched!.reduce((n, x) => n + x, 0);
    assert.ok(touched > 100, `${touched} points updated`);
    assert.ok(
      buffers.grads[1].visibility!.every((x) => x === 0),
      'visibility is merged into buffer 0',
    );
    assert.ok(buffers.grads[0].visibility!.some((x) => x > 0));
  } finally {
    await trainer.close();
  }
});

test('PSNR and SSIM: identical images score high, noise lowers both', () => {
  const a = scene.test[0].rgb;
  const b = a.map((x, i) => Math.min(1, Math.max(0, x + 0.1 * Math.sin(i * 12.9898))));
  const w = scene.test[0].camera.width,
    h = scene.test[0].camera.height;
  assert.ok(psnr(a, a) > 100);
  assert.ok(Math.abs(ssim(a, a, w, h) - 1) < 1e-9);
  assert.ok(psnr(a, b) < 30 && psnr(a, b) > 20);
  assert.ok(ssim(a, b, w, h) < 0.99);
});
