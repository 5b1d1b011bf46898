import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FedAvg } from '@strata/shared';
import {
  DEFAULT_CENTRALIZED_OPTIONS,
  GridRenderer,
  RadianceVoxelGridTask,
  UnboundedProceduralScene,
  decodeRadianceModel,
  encodeRadianceModel,
  evaluateViews,
  trainCentralized,
  type CentralizedOptions,
} from '../src/radiance/index.js';

// A short schedule (240 steps of 2048 rays on 24x24 images): enough to separate the two, not to converge.
const schedule: CentralizedOptions = {
  ...DEFAULT_CENTRALIZED_OPTIONS,
  threads: 1,
  seed: 1,
  batchSize: 2048,
  coarse: { points: 32 ** 3, steps: 90, weightThreshold: 0, tvDensity: 0, tvColor: 0 },
  fine: [{ points: 48 ** 3, steps: 150, weightThreshold: 1e-3, tvDensity: 0, tvColor: 0 }],
};

test('an object before a distant floor and sky trains to its band with scene contraction, and far worse in a bounded box', async (t) => {
  const scene = new UnboundedProceduralScene({ seed: 3, size: 24, views: 32 });
  const psnr: Record<string, number> = {};
  for (const contracted of [true, false]) {
    const dataset = scene.dataset(contracted);
    const result = await trainCentralized(dataset, schedule);
    psnr[contracted ? 'contracted' : 'bounded'] = evaluateViews(new GridRenderer(result.grid, result.settings), dataset.test, false).psnr;
  }
  t.diagnostic(`held-out PSNR: contracted ${psnr.contracted.toFixed(2)} dB, bounded ${psnr.bounded.toFixed(2)} dB`);
  assert.ok(psnr.contracted > 23.5 && psnr.contracted < 27.5, `contracted ${psnr.contracted.toFixed(2)} dB outside [23.5, 27.5]`);
  assert.ok(psnr.contracted - psnr.bounded > 4, `contraction gains only ${(psnr.contracted - psnr.bounded).toFixed(2)} dB`);
});

test('the federated task trains, renders and saves a contracted scene, its devices holding azimuth arcs', async (t) => {
  const dataset = new UnboundedProceduralScene({ seed: 3, size: 24, views: 32 }).dataset(true);
  const task = new RadianceVoxelGridTask(dataset, { devices: 4, points: 32 ** 3, seed: 2 });
  try {
    assert.deepEqual(task.settings.contraction, dataset.contraction);
    const model = task.initModel();
    const first = (await task.evaluate(model)).psnr;
    const devices = Array.from({ length: task.numDevices }, (_, i) => task.createDevice(i));
    const strategy = new FedAvg();
    for (let round = 1; round <= 4; round++) {
      const updates = [];
      const options = { batchSize: 512, lrDensity: 0.3, lrColor: 0.15 };
      for (const device of devices) updates.push(await device.train(model, { round, localSteps: 8, options }));
      strategy.apply(model, strategy.aggregate(updates));
    }
    const federated = (await task.evaluate(model)).psnr;
    t.diagnostic(`federated PSNR ${federated.toFixed(2)} dB from ${first.toFixed(2)} dB`);
    assert.ok(federated > first + 6, `federated ${federated} dB from ${first} dB`);
    // A saved model keeps its contraction and renders as the task does.
    const saved = decodeRadianceModel(encodeRadianceModel({ grid: task.grid(model), settings: task.settings, meta: {} }), 'test');
    assert.deepEqual(saved.settings.contraction, dataset.contraction);
    const camera = dataset.test[0].camera;
    const rendered = new GridRenderer(saved.grid, saved.settings).render(camera).rgb;
    assert.deepEqual(Array.from(rendered), Array.from(task.renderer(model).render(camera).rgb));
  } finally {
    await task.close();
  }
});
