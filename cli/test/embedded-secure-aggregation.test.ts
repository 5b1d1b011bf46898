// Secure aggregation (SecAgg+) end to end in the embedded runtime, on synthetic recommender data (BPR-MF:
// sparse item rows with row weights): the same seed gives the same model with it on and off, within the
// fixed-point bound, and the run's participation counts the sessions; robust edge strategies are refused.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '@strata/runtime';
import { FixedPointCodec, parseRunConfig, type ModelParams, type RunConfig } from '@strata/shared';
import { BprMfTask, generateSyntheticRecsysData } from '@strata/tasks';
import { runEmbeddedWithModel } from './embedded-run-model.js';

const logger = createLogger('test', 'silent');
const synthetic = generateSyntheticRecsysData({ users: 60, items: 60, interactionsPerUser: 12, seed: 9 });
const task = () => BprMfTask.fromInteractions(synthetic.interactions, { seed: 3 });
const ROUNDS = 2;

async function train(config: RunConfig): Promise<{ model: ModelParams; participation: Record<string, unknown>[] }> {
  const { model, record } = await runEmbeddedWithModel(config, task(), logger);
  return { model, participation: record.rounds.map((r) => r.participation as Record<string, unknown>) };
}

const base = {
  seed: 5,
  topology: { edges: 2 },
  schedule: { rounds: ROUNDS, evalEvery: 0, fraction: 0.5, kappa2: 2 },
  downlink: { dtype: 'float32', rowFraction: 1 },
  defences: { clipFactor: 0, updateClipFactor: 0 },
  baselines: false,
  report: false,
};

test('the same seed gives the same model with secure aggregation on and off, within the fixed-point bound', async () => {
  const plain = await train(parseRunConfig(base));
  const secure = await train(parseRunConfig({ ...base, secureAggregation: { enabled: true } }));
  let largest = 0;
  let moved = 0;
  for (const [name, tensor] of plain.model) {
    const other = secure.model.get(name)!;
    for (let i = 0; i < tensor.values.length; i++) {
      largest = Math.max(largest, Math.abs(tensor.values[i] - other.values[i]));
    }
    const initial = task().initModel().get(name)!;
    for (let i = 0; i < tensor.values.length; i++) moved = Math.max(moved, Math.abs(tensor.values[i] - initial.values[i]));
  }
  // Each edge iteration's per-row mean is off by at most (W + |mean| W/R) h / (2S) / (row weight) for h
  // holders of a row (see masked-vector-layout.ts); over 2 iterations × 3 rounds, and the cloud's mean of
  // edge models, the model moves by at most the sum of those errors. A loose, data-free bound: 6 × W / S.
  const limits = task().limits!(1);
  const weightCap = Math.max(limits.maxDeviceWeight, limits.maxRowWeight.base + limits.maxRowWeight.perWeight * limits.maxDeviceWeight);
  const codec = new FixedPointCodec({ clipRange: 1, maxParties: 30 });
  const bound = 2 * ROUNDS * weightCap * (1 + weightCap) * codec.sumErrorBound(30);
  assert.ok(moved > 1e-3, `training moved the model (${moved})`);
  assert.ok(largest <= bound, `largest difference ${largest} over the bound ${bound}`);
  assert.ok(largest < moved / 100, `largest difference ${largest} is small against what training moved (${moved})`);
  for (const p of secure.participation) {
    assert.equal(p.secAggAborted ?? 0, 0);
    assert.equal(p.answered, p.selected);
  }
  process.stdout.write(
    `# secure vs plain: largest model difference ${largest.toExponential(2)} (bound ${bound.toExponential(2)}, moved ${moved.toFixed(3)})\n`,
  );
});

test('a robust edge strategy with secure aggregation is refused, naming both', () => {
  assert.throws(
    () => parseRunConfig({ ...base, edgeStrategy: { name: 'krum' }, secureAggregation: { enabled: true } }),
    /edge strategy krum reads each device's update.*secure aggregation/,
  );
  assert.throws(
    () => parseRunConfig({ ...base, schedule: { kappa2: 1 }, privacy: { mode: 'central' }, secureAggregation: { enabled: true } }),
    /privacy.mode central.*secure aggregation/,
  );
});
