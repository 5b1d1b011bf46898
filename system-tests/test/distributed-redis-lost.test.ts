// Redis restarted empty in the middle of a run (its own redis-server on a free port, never the shared one):
// the daemons reconnect, the coordinator finds its model blob gone and publishes it again from its own copy,
// a round whose flow was lost fails (counted, /healthz degraded) instead of passing as done, and the run
// finishes with every round recorded and real final metrics, or stops with a clear error; never "done" with
// empty metrics.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Deployment, waitForHealth, onlyRunRecord } from './distributed-support.js';
import { freePort } from '@strata/simulator';
import { killOwnRedis, startOwnRedis } from './own-redis-server.js';

const scratch = mkdtempSync(join(tmpdir(), 'strata-redis-lost-'));
let redis: ChildProcess | undefined;
let port = 0;
const deployment = new Deployment();

before(async () => {
  port = await freePort();
  redis = await startOwnRedis(['--port', String(port)]);
});
after(async () => {
  for (const daemon of deployment.processes) daemon.kill('SIGKILL');
  await Promise.all(deployment.processes.map((d) => d.exited));
  await killOwnRedis(redis);
  rmSync(scratch, { recursive: true, force: true });
});

test('Redis restarted empty mid-run: the model is published again and the run finishes with real metrics', {
  timeout: 150_000,
}, async () => {
  const env = { STRATA_REDIS_URL: `redis://127.0.0.1:${port}` };
  const edge = deployment.start('edge', ['edge', '--region', 'region-1', '--port', '0', '--http-port', '0'], env);
  const ready = await edge.waitForMessage('edge ready');
  const devices = deployment.start(
    'devices',
    ['device', '--region', 'region-1', '--edges', String(ready.devices), '--count', '3', '--http-port', '0', '--train-delay-ms', '300'],
    env,
  );
  await devices.waitForMessage('devices ready', 60_000);
  await waitForHealth(String(ready.http), (h) => h.devices === 3, '3 devices on the edge');
  const runsDir = join(scratch, 'runs');
  const coordinator = deployment.start(
    'coordinator',
    [
      'coordinator',
      '--regions',
      'region-1',
      '--rounds',
      '6',
      '--round-deadline',
      '8',
      '--exit-when-done',
      '--runs-dir',
      runsDir,
      '--http-port',
      '0',
    ],
    env,
  );
  await coordinator.waitFor((line) => line.msg === 'cloud round done' && line.round === 2, 'round 2 to be done');

  await killOwnRedis(redis);
  redis = await startOwnRedis(['--port', String(port)]); // the same address, nothing in it
  assert.equal(await coordinator.exited, 0, 'the run finishes');

  const record = onlyRunRecord(runsDir);
  assert.deepEqual(
    record.rounds.map((r) => r.round),
    [1, 2, 3, 4, 5, 6],
  );
  const versions = record.rounds.map((r) => r.version as number);
  assert.ok((versions.at(-1) as number) >= 4, `the model kept moving after the restart: versions ${versions}`);
  assert.ok(Object.keys(record.final.metrics).length > 0, 'final metrics are real');
  assert.ok(
    coordinator.lines.some((l) => /publishing it again/.test(String(l.msg))),
    'the coordinator republished its model',
  );
});
