// Central DP-FedAvg end to end in the embedded runtime on synthetic recommender data: the run trains to a
// band with DP on, its records carry the accountant's ε, and a target ε stops it early, not as a failure.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '@strata/runtime';
import { RdpAccountant, parseRunConfig } from '@strata/shared';
import { BprMfTask, generateSyntheticRecsysData } from '@strata/tasks';
import { runEmbedded } from '../src/embedded/run-embedded.js';

const logger = createLogger('test', 'silent');
const synthetic = generateSyntheticRecsysData({ users: 400, items: 200, interactionsPerUser: 25, seed: 4 });
const task = () => BprMfTask.fromInteractions(synthetic.interactions, { seed: 1 });
const base = {
  topology: { edges: 2 },
  schedule: { rounds: 6, evalEvery: 0, fraction: 0.5 },
  downlink: { dtype: 'float32', rowFraction: 1 },
  baselines: false,
  report: false,
};

test('DP on: trains to a band, every round record carries the accountant ε at its sampling rate', async () => {
  const privacy = { mode: 'central', clipNorm: 0.5, noiseMultiplier: 0.3, delta: 1e-5 };
  const strategy = { name: 'fedavg', options: { serverLr: 10 } };
  const record = await runEmbedded(parseRunConfig({ ...base, privacy, strategy }), task(), logger);
  const plain = await runEmbedded(parseRunConfig(base), task(), logger);
  const recall = record.final.metrics['recall@20'];
  const plainRecall = plain.final.metrics['recall@20'];
  assert.equal(record.rounds.length, 6);
  const accountant = new RdpAccountant();
  for (const round of record.rounds) {
    const p = round.privacy as { samplingRate: number; devices: number; epsilon: number };
    assert.equal(p.samplingRate, 0.5); // 200 users an edge, 100 selected
    assert.equal(p.devices, 200);
    accountant.composeSubsampledGaussian(p.samplingRate, 0.3);
    assert.equal(round.epsilon, accountant.epsilon(1e-5));
  }
  assert.equal(record.final.epsilon, record.rounds.at(-1)!.epsilon);
  assert.ok(recall > 0.1 && recall < 0.6, `DP recall@20 ${recall} (plain ${plainRecall})`);
  process.stdout.write(
    `# DP σ 0.3 recall@20 ${recall.toFixed(4)}, ε ${Number(record.final.epsilon).toFixed(2)}; plain ${plainRecall.toFixed(4)}\n`,
  );
});

test('a target ε stops the run before the round that would pass it, with the model of the rounds released', async () => {
  const target = new RdpAccountant().composeSubsampledGaussian(0.5, 1, 3).epsilon(1e-5) + 1e-9;
  const privacy = { mode: 'central', clipNorm: 0.5, noiseMultiplier: 1, targetEpsilon: target };
  const record = await runEmbedded(parseRunConfig({ ...base, privacy }), task(), logger);
  assert.equal(record.rounds.length, 3);
  assert.ok(Number(record.final.epsilon) <= target);
  assert.match(String(record.final.stopped), /stopping at the privacy target/);
  assert.ok(record.final.metrics['recall@20'] >= 0);
});

test('DP with more than one edge iteration per cloud round is refused', () => {
  assert.throws(() => parseRunConfig({ schedule: { kappa2: 2 }, privacy: { mode: 'central' } }), /kappa2 = 1/);
});

test('adaptive clipping: C climbs from below the update norms and falls from above, and ε is what z alone spends', async () => {
  const run = async (clipNorm: number) => {
    const privacy = {
      mode: 'central',
      clipNorm,
      noiseMultiplier: 0.3,
      adaptiveClip: { targetQuantile: 0.5, learningRate: 0.2, countNoiseStd: 1 },
    };
    const record = await runEmbedded(parseRunConfig({ ...base, privacy }), task(), logger);
    return record.rounds.map(
      (round) => round.privacy as { clipNorm: number; nextClipNorm: number; withinClipFraction: number; epsilon: number },
    );
  };
  const fromBelow = await run(1e-4);
  const fromAbove = await run(1e3);
  for (const [rounds, direction] of [
    [fromBelow, 1],
    [fromAbove, -1],
  ] as const) {
    rounds.forEach((p, i) => {
      // Every update is clipped (from below) or none is (from above): the noised fraction within C is near 0 or 1
      // (count noise 1 over 200 devices), so C moves by e^{±0.2·0.5} a round.
      assert.ok(Math.abs(p.withinClipFraction - (direction > 0 ? 0 : 1)) < 0.05, JSON.stringify(p));
      assert.ok(Math.abs(p.nextClipNorm / p.clipNorm - Math.exp(direction * 0.1)) < 0.01, JSON.stringify(p));
      if (i > 0) assert.equal(p.clipNorm, rounds[i - 1].nextClipNorm, 'each round clips to the C the last one stepped to');
    });
  }
  const accountant = new RdpAccountant();
  fromBelow.forEach((p) => {
    accountant.composeSubsampledGaussian(0.5, 0.3);
    assert.equal(p.epsilon, accountant.epsilon(1e-5), 'the count and the sum spend what one mechanism with z spends');
  });
});

test('adaptive clipping is refused outside central mode and with count noise that leaves the updates no budget', () => {
  const adaptiveClip = { countNoiseStd: 1 };
  assert.throws(
    () => parseRunConfig({ privacy: { mode: 'distributed', adaptiveClip }, secureAggregation: { enabled: true } }),
    /adaptiveClip runs with privacy.mode central only/,
  );
  assert.throws(
    () => parseRunConfig({ privacy: { mode: 'central', noiseMultiplier: 4, adaptiveClip } }),
    /countNoiseStd 1 must exceed noiseMultiplier \/ 2 = 2/,
  );
  assert.throws(() => parseRunConfig({ privacy: { mode: 'central', adaptiveClip: { targetQuantile: 0.5 } } }), /countNoiseStd/);
});
