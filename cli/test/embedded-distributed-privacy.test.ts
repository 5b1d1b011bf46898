// Distributed DP-FedAvg under secure aggregation in the embedded runtime: devices clip their own updates and
// add their shares of the noise, the edges unmask only noised sums, the coordinator adds none. With negligible
// noise it is central DP's model (same clipping, same fixed denominator) within the fixed-point bound; with
// σ = 1 the round records carry the same ε as central DP at the same σ and sampling rate, and the noise is
// there (the model moves away from the clip-only one). Configurations it cannot serve are refused by name.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '@strata/runtime';
import { RdpAccountant, parseRunConfig, type ModelParams } from '@strata/shared';
import { BprMfTask, generateSyntheticRecsysData } from '@strata/tasks';
import { runEmbeddedWithModel } from './embedded-run-model.js';

const logger = createLogger('test', 'silent');
const synthetic = generateSyntheticRecsysData({ users: 40, items: 60, interactionsPerUser: 12, seed: 9 });
const task = () => BprMfTask.fromInteractions(synthetic.interactions, { seed: 3 });
const base = {
  seed: 5,
  topology: { edges: 2 },
  schedule: { rounds: 2, evalEvery: 0, fraction: 0.5 },
  downlink: { dtype: 'float32', rowFraction: 1 },
  strategy: { name: 'fedavg', options: { serverLr: 10 } },
  baselines: false,
  report: false,
};
const privacy = (mode: string, noiseMultiplier: number) => ({ mode, clipNorm: 0.5, noiseMultiplier, delta: 1e-5 });

function largestDifference(a: ModelParams, b: ModelParams): number {
  let largest = 0;
  for (const [name, tensor] of a) {
    const other = b.get(name)!.values;
    for (let i = 0; i < tensor.values.length; i++) largest = Math.max(largest, Math.abs(tensor.values[i] - other[i]));
  }
  return largest;
}

test('distributed DP with negligible noise gives central DP’s model; at σ 1 it spends the same ε and adds the noise', async () => {
  const secure = { secureAggregation: { enabled: true } };
  const central = await runEmbeddedWithModel(parseRunConfig({ ...base, privacy: privacy('central', 1e-6) }), task(), logger);
  const quiet = await runEmbeddedWithModel(parseRunConfig({ ...base, ...secure, privacy: privacy('distributed', 1e-6) }), task(), logger);
  const noisy = await runEmbeddedWithModel(parseRunConfig({ ...base, ...secure, privacy: privacy('distributed', 1) }), task(), logger);
  const initial = task().initModel();
  const moved = largestDifference(central.model, initial);
  const sameMechanism = largestDifference(central.model, quiet.model);
  const noise = largestDifference(noisy.model, quiet.model);
  assert.ok(moved > 1e-3, `training moved the model (${moved})`);
  assert.ok(sameMechanism < moved / 100, `distributed vs central at σ 1e-6: ${sameMechanism} (training moved ${moved})`);
  assert.ok(noise > 10 * sameMechanism, `σ 1 moves the model by ${noise} from the clip-only run`);
  const accountant = new RdpAccountant();
  for (const round of noisy.record.rounds) {
    const p = round.privacy as { samplingRate: number };
    const participation = round.participation as Record<string, number>;
    assert.equal(participation.secAggAborted ?? 0, 0);
    accountant.composeSubsampledGaussian(p.samplingRate, 1);
    assert.equal(round.epsilon, accountant.epsilon(1e-5), 'the accountant composes a distributed round as a central one at σ');
  }
  process.stdout.write(
    `# distributed vs central DP (σ 1e-6): ${sameMechanism.toExponential(2)}; σ 1 moves the model by ${noise.toFixed(4)}; ` +
      `ε after ${noisy.record.rounds.length} rounds ${Number(noisy.record.final.epsilon).toFixed(2)}\n`,
  );
});

test('distributed DP without secure aggregation, or with a clip norm over the codec range, is refused by name', () => {
  assert.throws(() => parseRunConfig({ ...base, privacy: privacy('distributed', 1) }), /privacy.mode distributed .* secure aggregation/);
  assert.throws(
    () => parseRunConfig({ ...base, privacy: { ...privacy('distributed', 1), clipNorm: 2 }, secureAggregation: { enabled: true } }),
    /privacy.clipNorm 2 is over secureAggregation.clipRange 1/,
  );
  assert.throws(
    () => parseRunConfig({ ...base, schedule: { kappa2: 2 }, privacy: privacy('distributed', 1), secureAggregation: { enabled: true } }),
    /privacy.mode distributed needs schedule.kappa2 = 1/,
  );
});
