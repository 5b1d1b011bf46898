// The dashboard server: its files, its token, its snapshot-then-deltas stream, the run picker; and the
// traffic of a 1,000-device round (figures printed as diagnostics).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { EdgeLiveReporterLike } from './dashboard-test-support.js';
import {
  DashboardServer,
  DashboardState,
  type DashboardDelta,
  type DashboardRunInfo,
  type DashboardSnapshot,
  type ListeningDashboard,
  type RunSummary,
} from '../src/server/index.js';

const TOKEN = 'a-test-token-123';
const RUN: DashboardRunInfo = {
  task: 'recsys/bpr-mf',
  mode: 'embedded',
  phase: 'running',
  startedAt: 0,
  rounds: 3,
  regions: ['r1'],
  schedule: { kappa1: 1, kappa2: 1, fraction: 1, quorum: 1 },
  headlineMetrics: ['recall@20'],
};

async function serve(
  t: { after: (fn: () => Promise<void>) => void },
  runsDir?: string,
): Promise<{ state: DashboardState; dashboard: ListeningDashboard }> {
  const state = new DashboardState(RUN);
  // A long interval: the tests flush by hand, so what a delta holds does not depend on timing.
  const dashboard = await DashboardServer.listen({ state, token: TOKEN, runsDir, intervalMs: 60_000 });
  t.after(() => dashboard.close());
  return { state, dashboard };
}

/** Connects a page; resolves with the socket and its snapshot (rejects with the server's refusal). */
function page(
  url: string,
  auth: Record<string, string>,
  t: { after: (fn: () => void) => void },
): Promise<{ socket: Socket; snapshot: DashboardSnapshot }> {
  const socket = io(`${url}/dashboard`, { auth, transports: ['websocket'], reconnection: false, forceNew: true });
  t.after(() => socket.close());
  return new Promise((resolve, reject) => {
    socket.once('snapshot', (json: string) => resolve({ socket, snapshot: JSON.parse(json) as DashboardSnapshot }));
    socket.once('connect_error', reject);
  });
}

function next<T>(socket: Socket, event: string): Promise<T> {
  return new Promise((resolve) => socket.once(event, (json: string) => resolve(JSON.parse(json) as T)));
}

test('the page and its modules are served with a content security policy; other paths are not', async (t) => {
  const { dashboard } = await serve(t);
  const index = await fetch(`${dashboard.url}/`);
  assert.equal(index.status, 200);
  assert.match(index.headers.get('content-type') ?? '', /text\/html/);
  const csp = index.headers.get('content-security-policy') ?? '';
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self' 'sha256-[A-Za-z0-9+/=]+'/, 'the inline import map is allowed by its hash only');
  assert.match(await index.text(), /<script type="importmap">/);
  for (const path of [
    '/assets/main.js',
    '/assets/dashboard.css',
    '/vendor/uplot.js',
    '/vendor/uplot.css',
    '/socket.io/socket.io.esm.min.js',
  ]) {
    const response = await fetch(dashboard.url + path);
    assert.equal(response.status, 200, path);
    await response.arrayBuffer();
  }
  for (const path of ['/assets/../package.json', '/assets/%2e%2e%2fpackage.json', '/assets/main.d.ts', '/etc/passwd', '/metrics']) {
    const response = await fetch(dashboard.url + path);
    assert.equal(response.status, 404, path);
    await response.arrayBuffer();
  }
});

test('the namespace refuses a missing or wrong token and accepts the right one, in the handshake or as a bearer header', async (t) => {
  const { dashboard } = await serve(t);
  await assert.rejects(page(dashboard.url, {}, t), /unauthorized/);
  await assert.rejects(page(dashboard.url, { token: 'wrong-token-456' }, t), /unauthorized/);
  const socket = io(`${dashboard.url}/dashboard`, {
    transports: ['websocket'],
    extraHeaders: { authorization: `Bearer ${TOKEN}` },
    reconnection: false,
    forceNew: true,
  });
  t.after(() => socket.close());
  const snapshot = await next<DashboardSnapshot>(socket, 'snapshot');
  assert.equal(snapshot.run.task, 'recsys/bpr-mf');
  await assert.rejects(page(dashboard.url, { token: TOKEN.slice(0, -1) }, t), /unauthorized/);
});

test('a page gets a snapshot, then deltas in order; a page that joins later gets everything in its snapshot', async (t) => {
  const { state, dashboard } = await serve(t);
  state.roundStarted(1);
  const { socket: first, snapshot } = await page(dashboard.url, { token: TOKEN }, t);
  assert.deepEqual(
    snapshot.rounds.map((r) => [r.round, r.seconds]),
    [[1, undefined]],
  );
  const gotDelta = next<DashboardDelta>(first, 'delta');
  state.roundCommitted({ round: 1, wallSeconds: 1, metrics: { loss: 0.25 }, bytes: { deviceEdge: 1, edgeCloud: 2 } });
  dashboard.server.flush();
  const delta = await gotDelta;
  assert.deepEqual(
    delta.rounds?.map((r) => [r.round, r.metrics.loss]),
    [[1, 0.25]],
  );
  assert.equal(delta.run, undefined);

  const { snapshot: lateSnapshot } = await page(dashboard.url, { token: TOKEN }, t);
  assert.deepEqual(
    lateSnapshot.rounds.map((r) => r.metrics.loss),
    [0.25],
  );
  assert.ok(lateSnapshot.seq >= delta.seq, 'later deltas are newer than the snapshot');
  assert.equal(delta.seq, snapshot.seq + 1, "the first page's snapshot came with the pending changes flushed");
  assert.equal(dashboard.server.stats().pages, 2);
});

test('the run picker lists finished runs newest first, reads only runs it lists, and shows no secret of theirs', async (t) => {
  const runsDir = mkdtempSync(join(tmpdir(), 'strata-dashboard-runs-'));
  t.after(() => rmSync(runsDir, { recursive: true, force: true }));
  const write = (id: string, record: unknown): void => {
    mkdirSync(join(runsDir, id));
    writeFileSync(join(runsDir, id, 'run.json'), JSON.stringify(record));
  };
  write('20261126-010000-recsys-bpr-mf-aaaa', {
    id: 'a',
    task: 'recsys/bpr-mf',
    mode: 'embedded',
    startedAt: 'x',
    rounds: [{ round: 1 }],
    final: { metrics: { 'recall@20': 0.3 }, wallSeconds: 5 },
  });
  // A record some other writer left with secrets in it: a viewer must not read them.
  write('20261126-020000-recsys-bpr-mf-bbbb', {
    task: 'recsys/bpr-mf',
    mode: 'distributed',
    config: { redis: { url: 'redis://admin:hunter2@redis-host:6379' }, token: 'device-secret', dashboard: { token: 'view-secret' } },
    rounds: [],
    final: {},
  });
  mkdirSync(join(runsDir, 'not-a-run'));
  writeFileSync(join(runsDir, 'stray.json'), '{}');
  const { dashboard } = await serve(t, runsDir);
  const { socket } = await page(dashboard.url, { token: TOKEN }, t);
  const runs = await new Promise<RunSummary[]>((resolve) => socket.emit('runs', resolve));
  assert.deepEqual(
    runs.map((r) => r.id),
    ['20261126-020000-recsys-bpr-mf-bbbb', '20261126-010000-recsys-bpr-mf-aaaa'],
  );
  assert.deepEqual(runs[1], {
    id: '20261126-010000-recsys-bpr-mf-aaaa',
    task: 'recsys/bpr-mf',
    mode: 'embedded',
    startedAt: 'x',
    rounds: 1,
    wallSeconds: 5,
    final: { 'recall@20': 0.3 },
  });
  const ask = (id: unknown) =>
    new Promise<{ record?: Record<string, unknown>; error?: string }>((resolve) => socket.emit('run', id, resolve));
  assert.equal((await ask('20261126-010000-recsys-bpr-mf-aaaa')).record?.task, 'recsys/bpr-mf');
  const served = JSON.stringify((await ask('20261126-020000-recsys-bpr-mf-bbbb')).record);
  assert.doesNotMatch(served, /hunter2|device-secret|view-secret/);
  assert.match(served, /redis:\/\/\[redacted\]@redis-host:6379/);
  for (const bad of ['../../etc/passwd', '..', 'not-a-run', 42]) assert.match((await ask(bad)).error ?? '', /no finished run/, String(bad));
});

test('a page asks for a render from a pose: one at a time, a bad pose refused, none where the run cannot render', async (t) => {
  const state = new DashboardState(RUN);
  let release: () => void = () => {};
  const poses: unknown[] = [];
  const dashboard = await DashboardServer.listen({
    state,
    token: TOKEN,
    renderer: async (pose) => {
      poses.push(pose);
      await new Promise<void>((resolve) => (release = resolve));
      return { round: 3, label: 'pose', image: 'data:image/png;base64,AA==', metrics: {} };
    },
  });
  t.after(() => dashboard.close());
  const { socket } = await page(dashboard.url, { token: TOKEN }, t);
  type Answer = { render?: { label: string }; error?: string };
  const ask = (pose: unknown) => new Promise<Answer>((resolve) => socket.emit('render', pose, resolve));
  // Messages of one page arrive in order: the second comes while the first renders.
  const first = ask({ azimuth: 190, elevation: 120 });
  assert.match((await ask({ azimuth: 0, elevation: 0 })).error ?? '', /busy/);
  release();
  assert.equal((await first).render?.label, 'pose');
  assert.deepEqual(poses, [{ azimuth: -170, elevation: 89 }], 'azimuth wrapped to [-180, 180), elevation clamped');
  for (const bad of [{ azimuth: 'x', elevation: 0 }, { azimuth: Number.NaN, elevation: 0 }, null, 'pose']) {
    assert.match((await ask(bad)).error ?? '', /azimuth, elevation/);
  }
  const { dashboard: plain } = await serve(t);
  const { socket: other } = await page(plain.url, { token: TOKEN }, t);
  const refused = await new Promise<Answer>((resolve) => other.emit('render', { azimuth: 0, elevation: 0 }, resolve));
  assert.match(refused.error ?? '', /cannot render/);
});

test("1,000 devices: one round's events become a few deltas, each a few kilobytes", async (t) => {
  const { state, dashboard } = await serve(t);
  const { socket } = await page(dashboard.url, { token: TOKEN }, t);
  let received = 0;
  let receivedBytes = 0;
  socket.on('delta', (json: string) => {
    received++;
    receivedBytes += json.length;
  });
  const edges = [0, 1, 2, 3].map((e) => new EdgeLiveReporterLike(state, `edge-${e + 1}`, 'r1'));
  const ids = (e: number): string[] => Array.from({ length: 250 }, (_, i) => `device-${e * 250 + i + 1}`);
  edges.forEach((edge, e) => edge.connect(ids(e)));
  dashboard.server.flush(); // the connections
  // A round in ticks: requests to all, then the replies arriving over four ticks, then the jobs finishing.
  state.roundStarted(1);
  edges.forEach((edge, e) => edge.request(1, ids(e)));
  dashboard.server.flush();
  for (let tick = 0; tick < 4; tick++) {
    edges.forEach((edge, e) =>
      edge.reply(
        1,
        ids(e).filter((_, i) => i % 4 === tick),
      ),
    );
    dashboard.server.flush();
  }
  edges.forEach((edge) => edge.finish(1, 250));
  state.roundCommitted({ round: 1, wallSeconds: 3, metrics: { loss: 0.4 }, bytes: { deviceEdge: 1e6, edgeCloud: 1e4 } });
  dashboard.server.flush();
  const stats = dashboard.server.stats();
  assert.equal(stats.deltas, 7, 'one delta per flush, however many events');
  await new Promise<void>((resolve) => {
    const check = (): void => (received >= 7 ? resolve() : void setTimeout(check, 5));
    check();
  });
  assert.equal(receivedBytes, stats.deltaBytes);
  assert.ok(stats.largestDeltaBytes < 20_000, `largest delta ${stats.largestDeltaBytes} B`);
  t.diagnostic(
    `1,000 devices, 4 edges: snapshot ${stats.snapshotBytes} B; ${stats.deltas} deltas, mean ${Math.round(stats.deltaBytes / stats.deltas)} B, largest ${stats.largestDeltaBytes} B`,
  );
  t.diagnostic(`full snapshot with 1,000 devices: ${JSON.stringify(state.snapshot()).length} B`);
});
