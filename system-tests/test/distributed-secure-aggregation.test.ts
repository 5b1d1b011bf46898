// Secure aggregation in the distributed runtime: a coordinator started with --secure-aggregation, 2 edges and
// 6 devices as OS processes (real Redis, socket.io on loopback) run 2 cloud rounds of federated BPR-MF on
// ml-100k. The edges and devices take no flag (they follow the jobs), each edge sees only masked vectors, and
// the global model is the embedded runtime's plaintext model with the same seed within float32 rounding (the
// fixed-point error bound of these sums is far below it). The edges count their sessions.

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

const ROUNDS = 2;
const { deployment, scratch: runsDir } = fileDeployment('distributed-secagg');

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

test('with --secure-aggregation on the coordinator, 2 edges and 6 device processes train the plaintext model within float32 rounding', {
  timeout: 240_000,
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
    '--secure-aggregation',
    '--exit-when-done',
    '--runs-dir',
    runsDir,
    '--http-port',
    '0',
  ]);
  assert.equal(await coordinator.exited, 0, 'the coordinator finishes the run and exits cleanly');

  const [runFolder] = readdirSync(runsDir);
  const record = JSON.parse(readFileSync(join(runsDir, runFolder, 'run.json'), 'utf8')) as RunRecord;
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
  const embedded = await embeddedRun();
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
