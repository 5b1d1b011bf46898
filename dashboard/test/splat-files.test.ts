// The splat viewer's files over HTTP: listed and sent with the dashboard token only; only .ply files of a
// run's folder or named on the command line, by plain names; traversal (raw `..`, encoded `%2F`, a symbolic
// link out of the run's folder) answers 404 and never the file; a bad command-line file is a ConfigError.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@strata/shared';
import { DashboardServer, DashboardState, type DashboardRunInfo, type SplatFileEntry } from '../src/server/index.js';

const TOKEN = 'a-test-token-123';
const RUN: DashboardRunInfo = {
  task: 'radiance/gaussians',
  mode: 'embedded',
  phase: 'done',
  startedAt: 0,
  rounds: 0,
  regions: [],
  schedule: { kappa1: 1, kappa2: 1, fraction: 1, quorum: 1 },
  headlineMetrics: ['psnr'],
};

/** A raw GET (no URL normalisation, so `..` reaches the server as written). */
function get(url: string, path: string, token?: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(url);
    const req = request({ hostname, port, path, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('splat files: listed and served with the token only, by plain names, never outside a run folder', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'strata-splat-files-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const runsDir = join(root, 'runs');
  const run = '20261201-000000-radiance-gaussians';
  mkdirSync(join(runsDir, run), { recursive: true });
  writeFileSync(join(runsDir, run, 'point_cloud.ply'), 'ply run bytes');
  writeFileSync(join(runsDir, run, 'run.json'), '{"secret":"no"}');
  writeFileSync(join(root, 'outside.ply'), 'outside bytes');
  symlinkSync(join(root, 'outside.ply'), join(runsDir, run, 'escape.ply'));
  const named = join(root, 'named', 'lego.ply');
  mkdirSync(join(root, 'named'));
  writeFileSync(named, 'named bytes');

  const dashboard = await DashboardServer.listen({ state: new DashboardState(RUN), token: TOKEN, runsDir, splatFiles: [named] });
  t.after(() => dashboard.close());
  const { url } = dashboard;

  assert.equal((await get(url, '/api/splats')).status, 401);
  assert.equal((await get(url, '/api/splats', 'wrong-token-1234')).status, 401);
  assert.equal((await get(url, `/api/splats/${run}/point_cloud.ply`)).status, 401);

  const listed = JSON.parse((await get(url, '/api/splats', TOKEN)).body.toString()) as SplatFileEntry[];
  assert.deepEqual(listed, [
    { source: '-', name: 'lego.ply', bytes: 11 },
    { source: run, name: 'point_cloud.ply', bytes: 13 },
  ]);
  assert.equal((await get(url, `/api/splats/${run}/point_cloud.ply`, TOKEN)).body.toString(), 'ply run bytes');
  assert.equal((await get(url, '/api/splats/-/lego.ply', TOKEN)).body.toString(), 'named bytes');

  for (const path of [
    `/api/splats/${run}/escape.ply`,
    `/api/splats/${run}/run.json`,
    `/api/splats/${run}/../../outside.ply`,
    `/api/splats/..%2Foutside.ply/x.ply`,
    `/api/splats/${run}/..%2F..%2Foutside.ply`,
    `/api/splats/${encodeURIComponent(`${run}/..`)}/outside.ply`,
    '/api/splats/-/outside.ply',
    '/api/splats/%E0%A4%A/point_cloud.ply',
    `/api/splats/${run}/point_cloud.ply/extra`,
  ]) {
    const answer = await get(url, path, TOKEN);
    assert.ok(answer.status === 404 || answer.status === 400, `${path} answered ${answer.status}`);
    assert.doesNotMatch(answer.body.toString(), /outside bytes|secret/, path);
  }

  assert.throws(
    () => new DashboardServer({ state: new DashboardState(RUN), token: TOKEN, splatFiles: [join(root, 'missing.ply')] }),
    (error: unknown) => error instanceof ConfigError && /missing\.ply does not exist/.test(error.message),
  );
  assert.throws(
    () => new DashboardServer({ state: new DashboardState(RUN), token: TOKEN, splatFiles: [join(runsDir, run, 'run.json')] }),
    (error: unknown) => error instanceof ConfigError && /end in \.ply/.test(error.message),
  );
});
