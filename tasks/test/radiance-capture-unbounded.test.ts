import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_CENTRALIZED_OPTIONS, GridRenderer, UnboundedProceduralScene, evaluateViews, trainCentralized, type CentralizedOptions,
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

test('an object before a distant textured floor and sky trains to its band with scene contraction, and far worse in a bounded box', async (t) => {
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
