// Both tiers asynchronous as processes (a coordinator, 2 edges, 6 devices, real Redis): the edges run FedBuff
// toward their devices and the coordinator runs FedBuff toward the edges, giving each edge its next job as
// soon as its result is in and stepping on every edge result. The run makes one version per cloud step,
// records the cloud staleness of each, and ends in the Recall@20 band of the embedded run of the same
// configuration (not bit for bit: which edge answers first depends on timing).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runEmbedded } from '@strata/cli';
import { createLogger } from '@strata/runtime';
import { parseRunConfig, type RunRecord } from '@strata/shared';
import { BprMfTask, loadInteractions, ml100kSource } from '@strata/tasks';
import { fileDeployment } from './distributed-support.js';

const ROUNDS = 6;
const { deployment, scratch: runsDir } = fileDeployment('distributed-cloud-async');
/** Edge rounds of κ2 = 3 FedBuff steps of K = 2 device updates; a cloud step per edge result, τ ≤ 2. */
const schedule = {
  rounds: ROUNDS,
  evalEvery: 0,
  mode: 'fedbuff',
  bufferSize: 2,
  kappa2: 3,
  maxStaleness: 10,
  cloud: { mode: 'fedbuff', bufferSize: 1, maxStaleness: 2 },
} as const;

test('a FedBuff cloud over FedBuff edges as processes: a version per edge result, cloud staleness, the embedded band', {
  timeout: 300_000,
}, async () => {
  await deployment.twoEdgesSixDevices();
  const coordinator = deployment.start('coordinator', [
    'coordinator',
    '--regions',
    'region-1,region-2',
    '--rounds',
    String(ROUNDS),
    '--eval-every',
    '0',
    '--schedule',
    'fedbuff',
    '--buffer-size',
    '2',
    '--kappa2',
    '3',
    '--max-staleness',
    '10',
    '--cloud-schedule',
    'fedbuff',
    '--cloud-buffer-size',
    '1',
    '--cloud-max-staleness',
    '2',
    '--exit-when-done',
    '--runs-dir',
    runsDir,
    '--http-port',
    '0',
  ]);
  assert.equal(await coordinator.exited, 0, 'the coordinator finishes the run and exits cleanly');
  const [runFolder] = readdirSync(runsDir);
  const record = JSON.parse(readFileSync(join(runsDir, runFolder, 'run.json'), 'utf8')) as RunRecord;
  assert.deepEqual(
    record.rounds.map((r) => r.version),
    [1, 2, 3, 4, 5, 6],
  );
  for (const round of record.rounds) {
    const participation = round.participation as { edgesAnswered: number; edgeSteps: number; cloudStaleness: Record<string, number> };
    const cloudStaleness = round.cloudStaleness as { updates: number; max: number };
    assert.equal(participation.edgesAnswered, 1, 'a cloud step per edge result');
    assert.equal(participation.edgeSteps, 3, 'an edge result is κ2 = 3 edge steps');
    assert.equal(cloudStaleness.updates, 1);
    assert.ok(cloudStaleness.max <= 2);
  }

  const task = BprMfTask.fromInteractions(loadInteractions(ml100kSource()), { seed: 0 });
  const embedded = await runEmbedded(
    parseRunConfig({ topology: { edges: 2, devices: 6 }, schedule, baselines: false, report: false }),
    task,
    createLogger('test', 'silent'),
  );
  const [distributedRecall, embeddedRecall] = [record.final.metrics['recall@20'], embedded.final.metrics['recall@20']];
  process.stdout.write(`# recall@20 distributed ${distributedRecall.toFixed(4)}, embedded ${embeddedRecall.toFixed(4)}\n`);
  assert.ok(embeddedRecall > 0.05, `embedded recall@20 ${embeddedRecall}`);
  assert.ok(
    Math.abs(distributedRecall - embeddedRecall) < 0.2 * embeddedRecall,
    `distributed ${distributedRecall} against ${embeddedRecall}`,
  );
});
