// Acceptance: the distributed runtime as separate OS processes (a coordinator, 2 edges, 6 devices, real Redis)
// runs 3 cloud rounds of federated BPR-MF on ml-100k and produces the same global model and metrics as the
// embedded runtime with the same seed and configuration. Tolerance: none. Both runs aggregate in device-id
// and region order with the same code, and float32 updates cross the wire losslessly, so the models agree
// bit for bit.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeModelBlob, modelBlobKey } from '@strata/shared';
import { RedisBlobStore } from '@strata/runtime';
import { TEST_REDIS_URL } from '@strata/runtime/testing';
import { embeddedReferenceRun } from './embedded-reference-run.js';
import { fileDeployment, metric, scrape, onlyRunRecord } from './distributed-support.js';

const ROUNDS = 3;
const { deployment, scratch: runsDir } = fileDeployment('distributed');

test('a coordinator, 2 edges and 6 devices as processes run 3 rounds and match the embedded run exactly', {
  timeout: 120_000,
}, async () => {
  const edges = await deployment.twoEdgesSixDevices();

  const coordinator = deployment.startRun(runsDir, ['--regions', 'region-1,region-2', '--rounds', String(ROUNDS)]);
  assert.equal(await coordinator.exited, 0, 'the coordinator finishes the run and exits cleanly');

  const record = onlyRunRecord(runsDir);
  assert.equal(record.mode, 'distributed');
  assert.deepEqual(
    record.rounds.map((r) => r.version),
    [1, 2, 3],
  );

  const blobs = new RedisBlobStore({ url: TEST_REDIS_URL, prefix: `${deployment.prefix}:blob:` });
  const blob = await blobs.get(modelBlobKey(ROUNDS));
  await blobs.close();
  assert.ok(blob, 'the final model is in Redis');
  const distributed = decodeModelBlob(blob);
  assert.equal(distributed.version, ROUNDS);

  const embedded = await embeddedReferenceRun(ROUNDS);
  assert.deepEqual([...distributed.model.keys()], [...embedded.model.keys()]);
  for (const [name, values] of embedded.model) {
    const other = distributed.model.get(name)!.values;
    let maxDiff = 0;
    for (let i = 0; i < values.length; i++) maxDiff = Math.max(maxDiff, Math.abs(values[i] - other[i]));
    assert.equal(maxDiff, 0, `${name}: largest difference ${maxDiff}`);
  }
  assert.deepEqual(
    record.rounds.map((r) => r.metrics),
    embedded.rounds,
  );
  assert.ok(record.final.metrics['recall@20'] > 0);

  // Each edge counted its 3 devices' updates over the 3 rounds, and its evaluation jobs.
  for (const edge of edges) {
    const samples = await scrape(edge.http);
    assert.equal(metric(samples, 'strata_updates_accepted_total'), 9);
    assert.equal(metric(samples, 'strata_edge_jobs_total', { kind: 'edge-evaluate', outcome: 'done' }), 3);
    assert.equal(metric(samples, 'strata_edge_connected_devices'), 3);
    assert.ok(metric(samples, 'strata_bytes_received_total', { link: 'device_edge' }) > 0);
  }
});
