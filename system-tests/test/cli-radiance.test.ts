// The radiance CLI as a user runs it: `strata train radiance` (centralized and --federated) and
// `strata render`, each a real process writing real files, on a small procedural scene.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { RunRecord } from '@strata/shared';
import { STRATA_BIN } from './distributed-support.js';

const run = promisify(execFile);
const strata = (args: string[]) =>
  run(process.execPath, [STRATA_BIN, ...args], { maxBuffer: 16 << 20, env: { ...process.env, STRATA_LOG_LEVEL: 'warn' } });

/** The one run record under `runsDir`. */
function onlyRecord(runsDir: string): { dir: string; record: RunRecord } {
  const dirs = readdirSync(runsDir).filter((name) => existsSync(join(runsDir, name, 'run.json')));
  assert.equal(dirs.length, 1, `expected one run in ${runsDir}, found ${dirs.join(', ')}`);
  const dir = join(runsDir, dirs[0]);
  return { dir, record: JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as RunRecord };
}

/** Width of `n` images of width `w` side by side, 2 white pixels apart (horizontalStrip). */
const stripWidth = (n: number, w: number): number => n * w + 2 * (n - 1);

const pngSize = (path: string): { width: number; height: number } => {
  const bytes = readFileSync(path);
  assert.equal(bytes.subarray(1, 4).toString('latin1'), 'PNG', `${path} is not a PNG`);
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
};

test('strata train radiance trains a procedural scene centrally, and strata render renders the saved model', async () => {
  const runsDir = mkdtempSync(join(tmpdir(), 'strata-cli-radiance-'));
  try {
    const { stdout } = await strata([
      'train',
      'radiance',
      '--procedural',
      '--res',
      '32',
      '--grid',
      '40',
      '--steps',
      '300',
      '--batch',
      '1024',
      '--threads',
      '1',
      '--runs-dir',
      runsDir,
    ]);
    assert.match(stdout, /centralized voxel grid\s+\d+\.\d+\s+0\.\d+/);
    const { dir, record } = onlyRecord(runsDir);
    assert.equal(record.task, 'radiance/voxel-grid');
    assert.equal(record.mode, 'centralized');
    // Measured 35.06 dB at these settings (seed 1); an untrained grid renders white (about 12 dB).
    const { psnr, ssim } = record.final.metrics;
    assert.ok(psnr > 31 && psnr < 40, `PSNR ${psnr}`);
    assert.ok(ssim > 0.8 && ssim <= 1, `SSIM ${ssim}`);
    assert.ok(existsSync(join(dir, 'report.html')) && existsSync(join(dir, 'model.strf')));
    const report = readFileSync(join(dir, 'report.html'), 'utf8');
    assert.match(report, /held-out/);
    assert.match(report, /data:image\/png;base64|src="final-view-0\.png"/);

    const model = join(dir, 'model.strf');
    const view = await strata(['render', '--model', model, '--view', '1', '--out', join(runsDir, 'view.png')]);
    const reported = Number(/PSNR (\d+\.\d+) dB/.exec(view.stdout)?.[1]);
    assert.ok(
      Math.abs(reported - (record.final.perView as { psnr: number }[])[1].psnr) < 0.01,
      `render reports ${reported} dB for view 1, training evaluated ${JSON.stringify((record.final.perView as unknown[])[1])}`,
    );
    assert.deepEqual(pngSize(join(runsDir, 'view.png')), { width: stripWidth(2, 32), height: 32 }); // truth | render

    await strata(['render', '--model', model, '--turntable', '3', '--depth', '--out', join(runsDir, 'turntable.png')]);
    assert.deepEqual(pngSize(join(runsDir, 'turntable.png')), { width: stripWidth(3, 32), height: 32 });

    // The compact model a device downloads to render locally: smaller, and it renders the same view closely.
    const compact = join(runsDir, 'model.strc');
    const exported = await strata(['render', '--model', model, '--export-compact', compact]);
    const figures = /compact model .*: (\d+\.\d+) MB \(full (\d+\.\d+) MB.*held-out PSNR (\d+\.\d+) dB \(full (\d+\.\d+) dB\)/.exec(
      exported.stdout,
    );
    assert.ok(figures, exported.stdout);
    const [compactMb, fullMb, compactPsnr, fullPsnr] = figures.slice(1).map(Number);
    assert.ok(statSync(compact).size < statSync(model).size / 2 && compactMb < fullMb / 2, exported.stdout);
    assert.ok(compactPsnr > fullPsnr - 1, exported.stdout);
    const local = await strata(['render', '--model', compact, '--view', '1', '--out', join(runsDir, 'compact-view.png')]);
    assert.ok(Number(/PSNR (\d+\.\d+) dB/.exec(local.stdout)?.[1]) > reported - 1, local.stdout);
  } finally {
    rmSync(runsDir, { recursive: true, force: true });
  }
});

test('strata train radiance --model gaussians trains Gaussians, reports their count, size and render time, and writes a 3DGS .ply', async () => {
  const runsDir = mkdtempSync(join(tmpdir(), 'strata-cli-radiance-'));
  try {
    const { stdout } = await strata([
      'train',
      'radiance',
      '--model',
      'gaussians',
      '--procedural',
      '--res',
      '32',
      '--steps',
      '600',
      '--seed',
      '3',
      '--task-option',
      'initialCount=2000',
      '--task-option',
      'densifyFrom=100',
      '--task-option',
      'densifyUntil=400',
      '--task-option',
      'densifyEvery=50',
      '--task-option',
      'opacityResetEvery=300',
      '--task-option',
      'shDegreeEvery=200',
      '--runs-dir',
      runsDir,
    ]);
    assert.match(stdout, /centralized gaussians\s+\d+\.\d+\s+0\.\d+/);
    const { dir, record } = onlyRecord(runsDir);
    assert.equal(record.task, 'radiance/gaussians');
    // The same settings reach 41 dB in the library test; an untrained cloud is about 9 dB.
    assert.ok(record.final.metrics.psnr > 35, `PSNR ${record.final.metrics.psnr}`);
    const final = record.final as unknown as {
      gaussians: number;
      shDegree: number;
      modelMegabytes: number;
      compactMegabytes: number;
      compactPsnr: number;
      renderMs400: number;
    };
    assert.ok(final.gaussians > 100);
    // 600 steps, a degree more every 200: degree 2, 11 + 27 floats a Gaussian.
    assert.equal(final.shDegree, 2);
    assert.ok(Math.abs(final.modelMegabytes - (final.gaussians * 38 * 4) / 1e6) < 1e-9);
    assert.equal(statSync(join(dir, 'model.strg')).size, Math.round(final.compactMegabytes * 1e6));
    assert.ok(final.compactMegabytes * 3 < final.modelMegabytes, `compact ${final.compactMegabytes} MB`);
    assert.ok(Math.abs(final.compactPsnr - record.final.metrics.psnr) < 1, `compact ${final.compactPsnr} dB`);
    assert.ok(final.renderMs400 > 0);
    const ply = readFileSync(join(dir, 'point_cloud.ply'));
    assert.match(ply.subarray(0, 200).toString('latin1'), new RegExp(`element vertex ${final.gaussians}\n`));
    assert.equal(statSync(join(dir, 'model.splat')).size, 32 * final.gaussians);
    assert.ok(existsSync(join(dir, 'report.html')) && existsSync(join(dir, 'final-view-0.png')));
    await assert.rejects(
      strata(['train', 'radiance', '--model', 'gaussians', '--procedural', '--task-option', 'bogus=1', '--runs-dir', runsDir]),
      /bogus/,
    );
  } finally {
    rmSync(runsDir, { recursive: true, force: true });
  }
});

test('strata train radiance --federated runs devices under edges and records bytes per tier and renders by round', async () => {
  const runsDir = mkdtempSync(join(tmpdir(), 'strata-cli-radiance-'));
  try {
    const { stdout } = await strata([
      'train',
      'radiance',
      '--federated',
      '--procedural',
      '--res',
      '24',
      '--grid',
      '24',
      '--devices',
      '4',
      '--edges',
      '2',
      '--rounds',
      '3',
      '--kappa1',
      '2',
      '--batch',
      '256',
      '--eval-every',
      '1',
      '--threads',
      '1',
      '--compression',
      'float16',
      '--no-baselines',
      '--runs-dir',
      runsDir,
    ]);
    assert.match(stdout, /2 edges, 4 devices \(azimuth partition\), 3 rounds/);
    const { dir, record } = onlyRecord(runsDir);
    assert.equal(record.rounds.length, 3);
    for (const round of record.rounds) {
      assert.ok(round.bytes.deviceEdge > 0 && round.bytes.edgeCloud > 0, `round ${round.round} bytes ${JSON.stringify(round.bytes)}`);
      assert.ok(Number.isFinite(round.metrics.psnr), `round ${round.round} has no PSNR`);
    }
    assert.ok(Number.isFinite(record.final.metrics.psnr));
    const strip = record.artifacts?.find((a) => a.path === 'renders-by-round.png');
    assert.ok(strip, 'no renders-by-round artifact');
    // Ground truth then one render per evaluated round (three here).
    assert.deepEqual(pngSize(join(dir, strip.path)), { width: stripWidth(4, 24), height: 24 });
    assert.ok(statSync(join(dir, 'model.strf')).size > 0);
  } finally {
    rmSync(runsDir, { recursive: true, force: true });
  }
});

test('strata train radiance names a missing scene folder and exits non-zero', async () => {
  const missing = join(tmpdir(), 'strata-no-such-scene');
  await assert.rejects(
    strata(['train', 'radiance', '--data', missing, '--runs-dir', join(tmpdir(), 'strata-unused-runs')]),
    (e: { code?: number; stderr?: string }) =>
      e.code === 2 && (e.stderr ?? '').includes(missing) && /scene folder not found/.test(e.stderr ?? ''),
  );
});
