// Secure aggregation in the distributed runtime: a coordinator started with --secure-aggregation, 2 edges and
// 6 devices as OS processes (real Redis, socket.io on loopback) run 2 cloud rounds of federated BPR-MF on
// ml-100k. The edges and devices take no flag (they follow the jobs), each edge sees only masked vectors, and
// the global model is the embedded runtime's plaintext model with the same seed within float32 rounding (the
// fixed-point error bound of these sums is far below it). The edges count their sessions.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeModelBlob, modelBlobKey } from '@strata/shared';
import { RedisBlobStore } from '@strata/runtime';
import { TEST_REDIS_URL } from '@strata/runtime/testing';
import { embeddedReferenceRun } from './embedded-reference-run.js';
import { fileDeployment, metric, scrape, onlyRunRecord } from './distributed-support.js';

const ROUNDS = 2;
const { deployment, scratch: runsDir } = fileDeployment('distributed-secagg');

test('with --secure-aggregation on the coordinator, 2 edges and 6 device processes train the plaintext model within float32 rounding', {
  timeout: 240_000,
}, async () => {
  const edges = await deployment.twoEdgesSixDevices();

  const coordinator = deployment.startRun(runsDir, ['--regions', 'region-1,region-2', '--rounds', String(ROUNDS), '--secure-aggregation']);
  assert.equal(await coordinator.exited, 0, 'the coordinator finishes the run and exits cleanly');

  const record = onlyRunRecord(runsDir);
  for (const round of record.rounds) {
    const p = round.participation as Record<string, number>;
    assert.equal(p.answered, 6, 'every device is in its edge sum');
    assert.equal(p.secAggAborted ?? 0, 0);
  }

  const blobs = new RedisBlobStore({ url: TEST_REDIS_URL, prefix: `${deployment.prefix}:blob:` });
  const blob = await blobs.get(modelBlobKey(ROUNDS));
  await blobs.close();
  assert.ok(blob, 'the final model is in Redis');
  const distributed = decodeModelBlob(blob);
  const embedded = await embeddedReferenceRun(ROUNDS);
  let largest = 0;
  for (const [name, values] of embedded.model) {
    const other = distributed.model.get(name)!.values;
    for (let i = 0; i < values.length; i++) largest = Math.max(largest, Math.abs(values[i] - other[i]));
  }
  assert.ok(largest < 1e-5, `largest difference from the plaintext embedded model ${largest}`);
  process.stdout.write(`# distributed secure vs embedded plaintext: largest difference ${largest.toExponential(2)}\n`);
  for (const edge of edges) {
    const samples = await scrape(edge.http);
    assert.equal(metric(samples, 'strata_updates_accepted_total'), 3 * ROUNDS);
    assert.equal(metric(samples, 'strata_edge_secagg_sessions_total', { outcome: 'aborted' }), 0);
  }
});
