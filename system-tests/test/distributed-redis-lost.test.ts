// Redis restarted empty in the middle of a run (its own redis-server on a free port, never the shared one):
// the daemons reconnect, the coordinator finds its model blob gone and publishes it again from its own copy,
// a round whose flow was lost fails (counted, /healthz degraded) instead of passing as done, and the run
// finishes with every round recorded and real final metrics, or stops with a clear error; never "done" with
// empty metrics.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunRecord } from '@strata/shared';
import { Deployment, waitForHealth } from './distributed-support.js';

const scratch = mkdtempSync(join(tmpdir(), 'strata-redis-lost-'));
let redis: ChildProcess | undefined;
let port = 0;
const deployment = new Deployment();

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const found = (probe.address() as AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  return found;
}

/** A fresh, empty redis-server on `port` that keeps nothing on disk; resolves once it accepts connections. */
async function startRedis(): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.setEncoding('utf8').on('data', (text: string) => {
      if (text.includes('Ready to accept connections')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}`)));
  });
  return child;
}

async function killRedis(): Promise<void> {
  if (!redis || redis.exitCode !== null) return;
  const exited = new Promise((resolve) => redis?.once('exit', resolve));
  redis.kill('SIGKILL');
  await exited;
}

before(async () => {
  port = await freePort();
  redis = await startRedis();
});
after(async () => {
  for (const daemon of deployment.processes) daemon.kill('SIGKILL');
  await Promise.all(deployment.processes.map((d) => d.exited));
  await killRedis();
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

  await killRedis();
  redis = await startRedis(); // the same address, nothing in it
  assert.equal(await coordinator.exited, 0, 'the run finishes');

  const [folder] = readdirSync(runsDir);
  const record = JSON.parse(readFileSync(join(runsDir, folder, 'run.json'), 'utf8')) as RunRecord;
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
