// The coordinator daemon's dashboard: served at `/` of its HTTP endpoint beside /healthz, behind its token,
// and fed by the edges' live batches over Redis (edges run in other processes). Needs Redis, as the other
// distributed tests do.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io } from 'socket.io-client';
import { dense, type FederatedTask } from '@strata/shared';
import { RedisLiveChannel, createLogger } from '@strata/runtime';
import { TEST_REDIS_URL, deleteRedisKeys, requireRedis, waitFor } from '@strata/runtime/testing';
import type { DashboardDelta, DashboardSnapshot } from '@strata/dashboard';
import { CoordinatorDaemon, parseCoordinatorDaemonConfig } from '../src/index.js';

const task: FederatedTask = {
  id: 'test/one-tensor',
  numDevices: 0,
  describe: () => ({}),
  defaultOptions: () => ({}),
  initModel: () => new Map([['w', dense([4])]]),
  createDevice: () => {
    throw new Error('no devices in this test');
  },
};

test('the coordinator daemon serves the dashboard beside /healthz and shows devices the edges report over Redis', async (t) => {
  await requireRedis();
  const prefix = `dashboard-test-${process.pid}-${randomBytes(3).toString('hex')}`;
  const runsDir = mkdtempSync(join(tmpdir(), 'strata-dashboard-daemon-'));
  t.after(async () => {
    await deleteRedisKeys(`${prefix}:`);
    rmSync(runsDir, { recursive: true, force: true });
  });
  const token = 'daemon-dashboard-token';
  const config = parseCoordinatorDaemonConfig({
    regions: ['r1'],
    schedule: { rounds: 1 },
    redis: { url: TEST_REDIS_URL, prefix },
    http: { port: 0 },
    runsDir,
    dashboard: { token, intervalMs: 50 },
  });
  const daemon = await CoordinatorDaemon.start(
    config,
    { taskName: 'test/one-tensor', task, taskOptions: {}, headlineMetrics: ['recall@20'] },
    createLogger('test', 'silent'),
  );
  t.after(() => daemon.stop());

  const page = await fetch(`${daemon.httpUrl}/`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /Strata dashboard/);
  const health = await fetch(`${daemon.httpUrl}/healthz`);
  assert.equal(health.status, 200);
  assert.equal(((await health.json()) as { tier: string }).tier, 'coordinator');

  const socket = io(`${daemon.httpUrl}/dashboard`, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true });
  t.after(() => socket.close());
  const devices = new Map<string, string>();
  const snapshot = await new Promise<DashboardSnapshot>((resolve, reject) => {
    socket.once('snapshot', (json: string) => resolve(JSON.parse(json) as DashboardSnapshot));
    socket.once('connect_error', reject);
  });
  assert.equal(snapshot.run.mode, 'distributed');
  assert.deepEqual(snapshot.run.regions, ['r1']);
  socket.on('delta', (json: string) => {
    for (const group of (JSON.parse(json) as DashboardDelta).devices ?? [])
      for (const id of group.ids) devices.set(id, `${group.e}:${group.s}`);
  });

  // An edge in another process: its heartbeat lists its devices; then one of them leaves.
  const edge = new RedisLiveChannel({ url: TEST_REDIS_URL, prefix });
  t.after(() => edge.close());
  await waitFor(async () => {
    edge.publish({ region: 'r1', nodeId: 'edge-r1', at: Date.now(), devices: ['device-1', 'device-2'], events: [] });
    await new Promise((resolve) => setTimeout(resolve, 50));
    return devices.size === 2;
  }, 'the devices of the heartbeat on the page');
  assert.deepEqual(Object.fromEntries(devices), { 'device-1': 'edge-r1:i', 'device-2': 'edge-r1:i' });
  edge.publish({
    region: 'r1',
    nodeId: 'edge-r1',
    at: Date.now(),
    events: [{ kind: 'peer', at: Date.now(), deviceId: 'device-2', connected: false }],
  });
  await waitFor(() => devices.get('device-2') === 'edge-r1:o', 'device-2 offline on the page');

  const refused = io(`${daemon.httpUrl}/dashboard`, {
    auth: { token: 'not-the-token' },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  t.after(() => refused.close());
  await assert.rejects(
    new Promise((resolve, reject) => {
      refused.once('connect', () => resolve(undefined));
      refused.once('connect_error', reject);
    }),
    /unauthorized/,
  );
});
