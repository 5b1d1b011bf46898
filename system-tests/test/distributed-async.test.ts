// The distributed runtime under FedBuff: a coordinator started with `--schedule fedbuff` (as processes, real
// Redis, 2 edges, 6 devices) sends the schedule with each job; the edges run asynchronous rounds toward
// their devices and synchronous ones toward the cloud. The run record carries each round's version and the
// staleness of the updates taken, and the edges export the staleness histogram.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileDeployment, metric, scrape, onlyRunRecord } from './distributed-support.js';

const ROUNDS = 3;
const { deployment, scratch: runsDir } = fileDeployment('distributed-async');

test('a FedBuff run as processes: versions, staleness and the accepted updates in the record and the metrics', {
  timeout: 180_000,
}, async () => {
  const edges = await deployment.twoEdgesSixDevices();
  // Each edge round: κ2 = 3 steps of K = 2 updates, from 3 devices kept busy.
  const coordinator = deployment.startRun(runsDir, [
    '--regions',
    'region-1,region-2',
    '--rounds',
    String(ROUNDS),
    '--schedule',
    'fedbuff',
    '--buffer-size',
    '2',
    '--kappa2',
    '3',
    '--max-staleness',
    '10',
  ]);
  assert.equal(await coordinator.exited, 0, 'the coordinator finishes the run and exits cleanly');
  const record = onlyRunRecord(runsDir);
  assert.deepEqual(
    record.rounds.map((r) => r.version),
    [1, 2, 3],
  );
  for (const round of record.rounds) {
    const participation = round.participation as { answered: number; edgeSteps: number; staleness: Record<string, number> };
    const staleness = round.staleness as { updates: number; mean: number; max: number };
    assert.equal(participation.answered, 12, 'κ2 × K updates an edge, 2 edges');
    assert.equal(participation.edgeSteps, 6);
    assert.equal(staleness.updates, 12);
    assert.ok(staleness.max <= 10);
  }
  assert.ok(record.final.metrics['recall@20'] > 0);
  for (const edge of edges) {
    const samples = await scrape(edge.http);
    assert.equal(metric(samples, 'strata_updates_accepted_total'), 18);
    assert.equal(metric(samples, 'strata_update_staleness_versions_count'), 18);
  }
});
