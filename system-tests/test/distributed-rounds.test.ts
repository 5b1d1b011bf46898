// Acceptance: the distributed runtime as separate OS processes (a coordinator, 2 edges, 6 devices, real Redis)
// runs 3 cloud rounds of federated BPR-MF on ml-100k and produces the same global model and metrics as the
// embedded runtime with the same seed and configuration. Tolerance: none. Both runs aggregate in device-id
// and region order with the same code, and float32 updates cross the wire losslessly, so the models agree
// bit for bit.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeModelBlob, modelBlobKey, type RunRecord } from '@strata/shared';
import { RedisBlobStore, createLogger } from '@strata/runtime';
import { TEST_REDIS_URL } from '@strata/runtime/testing';
import { BprMfTask, loadInteractions, ml100kSource } from '@strata/tasks';
import { parseRunConfig } from '@strata/shared';
import { EmbeddedTopology } from '@strata/cli';
import { fileDeployment, metric, scrape, waitForHealth } from './distributed-support.js';

const ROUNDS = 3;
const { deployment, scratch: runsDir } = fileDeployment('distributed');

async function embeddedRun(): Promise<{ model: Map<string, Float32Array>; rounds: Record<string, number>[] }> {
  const config = parseRunConfig({ topology: { edges: 2, devices: 6 }, schedule: { rounds: ROUNDS } });
  const task = BprMfTask.fromInteractions(loadInteractions(ml100kSource()), { seed: config.seed });
  const topology = new EmbeddedTopology({
    task,
    edges: 2,
    devices: 6,
    schedule: config.schedule,
    strategy: config.strategy,
    edgeStrategy: config.edgeStrategy,
    compression: config.compression,
    taskOptions: task.defaultOptions(),
    seed: config.seed,
    logger: createLogger('test', 'silent'),
  });
  await topology.start();
  const rounds: Record<string, number>[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const outcome = await topology.runRound(round);
    rounds.push({ ...outcome.metrics, ...(await topology.evaluate(round)).metrics });
  }
  await topology.stop();
  return { model: new Map([...topology.coordinator.globalModel].map(([name, t]) => [name, t.values])), rounds };
}

test('a coordinator, 2 edges and 6 devices as processes run 3 rounds and match the embedded run exactly', {
  timeout: 120_000,
}, async () => {
  const edges = await Promise.all([deployment.edge('region-1'), deployment.edge('region-2')]);
  // Partition k on edge floor(k * 2 / 6), with node id device-<k+1>: the embedded topology's layout.
  await Promise.all(
    [0, 1, 2, 3, 4, 5].map((k) => {
      const region = k < 3 ? 0 : 1;
      return deployment.devices(`region-${region + 1}`, [edges[region].url], k);
    }),
  );
  for (const edge of edges) await waitForHealth(edge.http, (h) => h.devices === 3, '3 devices on the edge');

  const coordinator = deployment.start('coordinator', [
    'coordinator',
    '--regions',
    'region-1,region-2',
    '--rounds',
    String(ROUNDS),
    '--exit-when-done',
    '--runs-dir',
    runsDir,
    '--http-port',
    '0',
  ]);
  assert.equal(await coordinator.exited, 0, 'the coordinator finishes the run and exits cleanly');

  const [runFolder] = readdirSync(runsDir);
  const record = JSON.parse(readFileSync(join(runsDir, runFolder, 'run.json'), 'utf8')) as RunRecord;
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

  const embedded = await embeddedRun();
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
