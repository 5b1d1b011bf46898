// `strata splats` as users run it: a .ply named on the command line (written by the project's own 3DGS
// writer) is checked, offered by the viewer's server beside the runs folder's files, and sent with the
// printed token; a file that is no PLY stops the command with a clear error (exit 2).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GaussianCloud, saveGaussianPly } from '@strata/tasks';
import { STRATA_BIN } from './distributed-support.js';

test('strata splats serves a named .ply and the runs folder’s with its token; a bad file is refused', { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-cli-splats-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const named = join(dir, 'ball.ply');
  saveGaussianPly(named, GaussianCloud.randomInBox({ min: [-1, -1, -1], max: [1, 1, 1] }, 50, 3));
  const runsDir = join(dir, 'runs');
  mkdirSync(join(runsDir, 'run-a'), { recursive: true });
  saveGaussianPly(join(runsDir, 'run-a', 'point_cloud.ply'), GaussianCloud.randomInBox({ min: [0, 0, 0], max: [1, 1, 1] }, 20, 4));

  const child = spawn(process.execPath, [STRATA_BIN, 'splats', named, '--runs-dir', runsDir, '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => child.kill('SIGKILL'));
  let stdout = '';
  const link = await new Promise<string>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const found = /^splat viewer (http:\/\/\S+)$/m.exec(stdout);
      if (found) resolve(found[1]);
    });
    child.once('exit', (code) => reject(new Error(`strata splats exited (${code}) before printing its link:\n${stdout}`)));
  });
  assert.match(stdout, /ball\.ply: 50 Gaussians/);
  const url = new URL(link);
  const token = new URLSearchParams(url.hash.slice(1)).get('token') ?? '';
  assert.equal(url.pathname, '/splats');
  const list = await fetch(`${url.origin}/api/splats`, { headers: { authorization: `Bearer ${token}` } });
  assert.deepEqual(
    ((await list.json()) as { source: string; name: string }[]).map((entry) => `${entry.source}/${entry.name}`),
    ['-/ball.ply', 'run-a/point_cloud.ply'],
  );
  const bytes = await fetch(`${url.origin}/api/splats/-/ball.ply`, { headers: { authorization: `Bearer ${token}` } });
  assert.deepEqual(Buffer.from(await bytes.arrayBuffer()), readFileSync(named));
  assert.equal((await fetch(`${url.origin}/api/splats`)).status, 401);
  assert.equal((await fetch(`${url.origin}/splats`)).status, 200, 'the viewer page is served');
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;

  const bad = join(dir, 'bad.ply');
  writeFileSync(bad, 'not a ply at all');
  const refused = spawnSync(process.execPath, [STRATA_BIN, 'splats', bad, '--port', '0'], { encoding: 'utf8' });
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /bad\.ply: not a PLY file/);
});
