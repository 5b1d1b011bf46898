// Both tiers asynchronous as processes (a coordinator, 2 edges, 6 devices, real Redis): the edges run FedBuff
// toward their devices and the coordinator runs FedBuff toward the edges, giving each edge its next job as
// soon as its result is in and stepping on every second edge result. The run makes one version per cloud step,
// records the cloud staleness of each, and ends in the Recall@20 band of the embedded run of the same
// configuration (not bit for bit: which edge answers first depends on timing). Each region's 3 devices run in
// one process.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runEmbedded } from '@strata/cli';
import { createLogger } from '@strata/runtime';
import { parseRunConfig } from '@strata/shared';
import { BprMfTask, loadInteractions, ml100kSource } from '@strata/tasks';
import { fileDeployment, waitForHealth, onlyRunRecord } from './distributed-support.js';

const ROUNDS = 10;
const { deployment, scratch: runsDir } = fileDeployment('distributed-cloud-async');
/** Edge rounds of κ2 = 2 FedBuff steps of K = 3 device updates; a cloud step every 2 edge results, τ ≤ 2. */
const schedule = {
  rounds: ROUNDS,
  evalEvery: 0,
  mode: 'fedbuff',
  bufferSize: 3,
  kappa2: 2,
  maxStaleness: 10,
  cloud: { mode: 'fedbuff', bufferSize: 2, maxStaleness: 2 },
} as const;

test('a FedBuff cloud over FedBuff edges as processes: a version per 2 edge results, cloud staleness, the embedded band', {
  timeout: 300_000,
}, async () => {
  // The layout of twoEdgesSixDevices, with each region's 3 devices in one process (one data load, not three).
  const edges = await Promise.all([deployment.edge('region-1'), deployment.edge('region-2')]);
  await deployment.devices('region-1', [edges[0].url], 0, [], 3);
  await deployment.devices('region-2', [edges[1].url], 3, [], 3);
  for (const edge of edges) await waitForHealth(edge.http, (h) => h.devices === 3, '3 devices on the edge');
  const coordinator = deployment.startRun(runsDir, [
    '--regions',
    'region-1,region-2',
    '--rounds',
    String(ROUNDS),
    '--eval-every',
    '0',
    '--schedule',
    'fedbuff',
    '--buffer-size',
    '3',
    '--kappa2',
    '2',
    '--max-staleness',
    '10',
    '--cloud-schedule',
    'fedbuff',
    '--cloud-buffer-size',
    '2',
    '--cloud-max-staleness',
    '2',
  ]);
  assert.equal(await coordinator.exited, 0, 'the coordinator finishes the run and exits cleanly');
  const record = onlyRunRecord(runsDir);
  assert.deepEqual(
    record.rounds.map((r) => r.version),
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
  );
  for (const round of record.rounds) {
    const participation = round.participation as { edgesAnswered: number; edgeSteps: number; cloudStaleness: Record<string, number> };
    const cloudStaleness = round.cloudStaleness as { updates: number; max: number };
    assert.equal(participation.edgesAnswered, 2, 'a cloud step per 2 edge results');
    assert.equal(participation.edgeSteps, 4, 'an edge result is κ2 = 2 edge steps');
    assert.equal(cloudStaleness.updates, 2);
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
  // Ten cloud steps of ml-100k BPR-MF are early training (a random ranking is at about 0.012, and recall moves by
  // tens of percent from step to step), so the band is wide: both runs learned, and neither is twice the other.
  for (const recall of [distributedRecall, embeddedRecall]) assert.ok(recall > 0.035, `recall@20 ${recall}: the run did not learn`);
  const ratio = distributedRecall / embeddedRecall;
  assert.ok(ratio > 0.5 && ratio < 2, `distributed ${distributedRecall} against embedded ${embeddedRecall}`);
});
