// Asynchronous schedules end to end in the embedded runtime (coordinator, two edges, in-process devices) on
// synthetic recommender data with a fixed seed: FedBuff and FedAsync edges train to the synchronous run's
// band, their round records carry the model version and the staleness of the updates they took, and
// combinations that make no sense are refused before anything runs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '@strata/runtime';
import { parseRunConfig } from '@strata/shared';
import { BprMfTask, generateSyntheticRecsysData } from '@strata/tasks';
import { runEmbedded } from '../src/embedded/run-embedded.js';

const logger = createLogger('test', 'silent');
const synthetic = generateSyntheticRecsysData({ users: 400, items: 200, interactionsPerUser: 25, seed: 4 });
const task = () => BprMfTask.fromInteractions(synthetic.interactions, { seed: 1 });
const base = {
  topology: { edges: 2 },
  downlink: { dtype: 'float32', rowFraction: 1 },
  baselines: false,
  report: false,
};

test('FedBuff and FedAsync edges reach the synchronous run’s Recall@20 band, recording versions and staleness', async () => {
  const sync = await runEmbedded(parseRunConfig({ ...base, schedule: { rounds: 8, evalEvery: 0 } }), task(), logger);
  // About as many device updates per cloud round as the synchronous run (200 an edge): κ2 × K = 200.
  const fedbuff = await runEmbedded(
    parseRunConfig({ ...base, schedule: { rounds: 8, evalEvery: 0, mode: 'fedbuff', bufferSize: 20, kappa2: 10, fraction: 0.5 } }),
    task(),
    logger,
  );
  const fedasync = await runEmbedded(
    parseRunConfig({
      ...base,
      schedule: { rounds: 8, evalEvery: 0, mode: 'fedasync', mixing: 0.1, bufferSize: 1, kappa2: 200, fraction: 0.5 },
    }),
    task(),
    logger,
  );
  const recall = (r: typeof sync): number => r.final.metrics['recall@20'];
  process.stdout.write(
    `# recall@20 sync ${recall(sync).toFixed(4)}, fedbuff ${recall(fedbuff).toFixed(4)}, fedasync ${recall(fedasync).toFixed(4)}\n`,
  );
  assert.ok(recall(sync) > 0.2, `sync recall@20 ${recall(sync)}`);
  for (const [name, run] of [
    ['fedbuff', fedbuff],
    ['fedasync', fedasync],
  ] as const) {
    assert.ok(recall(run) > 0.8 * recall(sync), `${name} recall@20 ${recall(run)} against sync ${recall(sync)}`);
    assert.equal(run.rounds.length, 8);
    run.rounds.forEach((round, i) => {
      assert.equal(round.version, i + 1, 'one global version per cloud round');
      const participation = round.participation as { answered: number; edgeSteps: number; staleness: Record<string, number> };
      const staleness = round.staleness as { updates: number; mean: number; max: number };
      assert.ok(staleness.updates === participation.answered, `${name} round ${i + 1}: ${JSON.stringify(staleness)}`);
      assert.ok(staleness.max <= 20 && staleness.mean >= 0);
      // κ2 × K updates an edge: FedBuff steps once per buffer of 20, FedAsync once per update.
      assert.equal(participation.answered, 400);
      assert.equal(participation.edgeSteps, name === 'fedbuff' ? 20 : 400);
    });
  }
  for (const round of sync.rounds) assert.equal(round.staleness, undefined, 'a synchronous round has no staleness');
});

test('asynchronous schedules refuse combinations that make no sense, saying what to use', () => {
  assert.throws(() => parseRunConfig({ schedule: { mode: 'fedasync' }, edgeStrategy: { name: 'krum' } }), /use --schedule fedbuff/);
  assert.throws(() => parseRunConfig({ schedule: { mode: 'fedasync' }, edgeStrategy: { name: 'fedadam' } }), /fedavg or fedprox/);
  assert.throws(() => parseRunConfig({ schedule: { mode: 'fedbuff' }, privacy: { mode: 'central' } }), /differential privacy/);
  assert.throws(() => parseRunConfig({ schedule: { mode: 'fedbuff', bufferSize: 0 } }), /bufferSize/);
  assert.doesNotThrow(() =>
    parseRunConfig({ schedule: { mode: 'fedbuff' }, edgeStrategy: { name: 'median' }, compression: { dtype: 'int8' } }),
  );
});
