// Both tiers asynchronous in the embedded runtime (coordinator, two edges, in-process devices) on synthetic
// recommender data with a fixed seed: FedBuff edges toward their devices and a FedBuff cloud toward its edges
// (each edge given its next job as soon as it answers, a cloud step per edge result) train to the band of the
// run whose cloud is synchronous, each cloud round making one version and recording the staleness of the edge
// results it took; combinations that make no sense at the cloud are refused before anything runs.

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
const edgeFedBuff = { evalEvery: 0, mode: 'fedbuff', bufferSize: 20, kappa2: 5, fraction: 0.5 };

test('a FedBuff cloud over FedBuff edges reaches the synchronous cloud’s Recall@20 band, one version per cloud step', async () => {
  // The same number of edge rounds: 8 synchronous cloud rounds of 2 edges, or 16 cloud steps of one edge result.
  const syncCloud = await runEmbedded(parseRunConfig({ ...base, schedule: { ...edgeFedBuff, rounds: 8 } }), task(), logger);
  const asyncCloud = await runEmbedded(
    parseRunConfig({ ...base, schedule: { ...edgeFedBuff, rounds: 16, cloud: { mode: 'fedbuff', bufferSize: 1, maxStaleness: 2 } } }),
    task(),
    logger,
  );
  const recall = (r: typeof syncCloud): number => r.final.metrics['recall@20'];
  process.stdout.write(`# recall@20 sync cloud ${recall(syncCloud).toFixed(4)}, fedbuff cloud ${recall(asyncCloud).toFixed(4)}\n`);
  assert.ok(recall(syncCloud) > 0.2, `sync cloud recall@20 ${recall(syncCloud)}`);
  assert.ok(recall(asyncCloud) > 0.9 * recall(syncCloud), `fedbuff cloud recall@20 ${recall(asyncCloud)} against ${recall(syncCloud)}`);
  assert.equal(asyncCloud.rounds.length, 16);
  asyncCloud.rounds.forEach((round, i) => {
    assert.equal(round.version, i + 1, 'one global version per cloud step');
    const participation = round.participation as { edgesAnswered: number; edgeSteps: number; cloudStaleness: Record<string, number> };
    const cloudStaleness = round.cloudStaleness as { updates: number; mean: number; max: number };
    assert.equal(participation.edgesAnswered, 1, 'a step per edge result (K = 1)');
    assert.equal(cloudStaleness.updates, 1);
    assert.ok(cloudStaleness.max <= 2);
    assert.equal(participation.edgeSteps, 5, 'the edge result is one edge round of κ2 edge steps');
  });
  // After the first step, the other edge's result is based on the version before it.
  assert.ok(asyncCloud.rounds.some((round) => (round.cloudStaleness as { max: number }).max >= 1));
  for (const round of syncCloud.rounds) assert.equal(round.cloudStaleness, undefined, 'a synchronous cloud round has no cloud staleness');
});

test('an asynchronous cloud refuses combinations that make no sense, saying what to use', () => {
  assert.throws(
    () => parseRunConfig({ schedule: { cloud: { mode: 'fedasync' } }, strategy: { name: 'krum' } }),
    /--cloud-schedule fedasync .*use --cloud-schedule fedbuff/,
  );
  assert.throws(
    () => parseRunConfig({ schedule: { cloud: { mode: 'fedasync' } }, strategy: { name: 'fedadam' } }),
    /strategy must be fedavg or fedprox/,
  );
  assert.throws(
    () => parseRunConfig({ schedule: { cloud: { mode: 'fedbuff' } }, privacy: { mode: 'central' } }),
    /--cloud-schedule fedbuff cannot run with differential privacy/,
  );
  assert.throws(() => parseRunConfig({ schedule: { cloud: { mode: 'fedbuff', bufferSize: 0 } } }), /bufferSize/);
  assert.doesNotThrow(() => parseRunConfig({ schedule: { cloud: { mode: 'fedbuff' } }, strategy: { name: 'fedadam' } }));
});
