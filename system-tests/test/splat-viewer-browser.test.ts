// The dashboard's splat viewer in a real browser (playwright-core driving Debian's chromium, WebGL on the CPU
// through SwiftShader): a run folder's point_cloud.ply, written by the project's own 3DGS .ply writer, holds a
// ball of 400 Gaussians at a known place, red above and blue below; the viewer frames the splats' bounds from
// 20° above the equator, z up, so the ball must fill the middle of the canvas, leave the border black, and show
// red at the top and blue at the bottom. The screenshot goes to test-output/splat-viewer/ (and,
// with STRATA_SPLAT_SCREENSHOT=path, to that path: the README's picture). Skipped, saying why, when chromium
// is missing or has no WebGL 2.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SeededRandom } from '@strata/shared';
import {
  GAUSSIAN_LOG_SCALE,
  GAUSSIAN_OPACITY,
  GAUSSIAN_POSITION,
  GAUSSIAN_ROTATION,
  GAUSSIAN_SH,
  GAUSSIAN_STRIDE,
  GaussianCloud,
  SH_C0,
  logit,
  readPng,
  saveGaussianPly,
} from '@strata/tasks';
import { DashboardServer, DashboardState } from '@strata/dashboard';
import { chromiumMissing, launchChromium } from './chromium-browser.js';

const OUTPUT = fileURLToPath(new URL('../../../test-output/splat-viewer/', import.meta.url));
const TOKEN = 'splat-viewer-test-token';
const CENTER = [1, 2, 0.5];
const BALL_RADIUS = 0.5;
const COUNT = 400;
const RED = [0.9, 0.15, 0.1];
const BLUE = [0.1, 0.3, 0.9];

/**
 * COUNT Gaussians spread evenly over a sphere's surface (a Fibonacci lattice, jittered by a seed): the upper
 * half (z > 0) red, the lower half blue, so that the picture also shows which way is up.
 */
function redBall(): GaussianCloud {
  const rng = new SeededRandom(19);
  const params = new Float32Array(COUNT * GAUSSIAN_STRIDE);
  for (let i = 0; i < COUNT; i++) {
    const row = i * GAUSSIAN_STRIDE;
    const z = 1 - (2 * (i + 0.5)) / COUNT;
    const around = Math.PI * (3 - Math.sqrt(5)) * i + 0.1 * rng.next();
    const ring = Math.sqrt(1 - z * z);
    const direction = [ring * Math.cos(around), ring * Math.sin(around), z];
    for (let a = 0; a < 3; a++) {
      params[row + GAUSSIAN_POSITION + a] = CENTER[a] + BALL_RADIUS * direction[a];
      params[row + GAUSSIAN_LOG_SCALE + a] = Math.log(0.06);
      params[row + GAUSSIAN_SH + a] = ((z > 0 ? RED : BLUE)[a] - 0.5) / SH_C0;
    }
    params[row + GAUSSIAN_ROTATION] = 1;
    params[row + GAUSSIAN_OPACITY] = logit(0.95);
  }
  return new GaussianCloud(COUNT, params, 0);
}

declare const window: { strataSplatViewer?: { status: string; frames: number; splats?: number; error?: string; radius?: number } };
declare const document: { createElement(tag: 'canvas'): { getContext(kind: 'webgl2'): unknown } };

test('the splat viewer draws a run folder’s .ply: the object fills the middle of the canvas', {
  skip: chromiumMissing,
  timeout: 180_000,
}, async (t) => {
  const runsDir = mkdtempSync(join(tmpdir(), 'strata-splat-viewer-'));
  t.after(() => rmSync(runsDir, { recursive: true, force: true }));
  const runId = '20261201-000000-radiance-gaussians-test';
  mkdirSync(join(runsDir, runId));
  saveGaussianPly(join(runsDir, runId, 'point_cloud.ply'), redBall());
  const state = new DashboardState({
    task: 'radiance/gaussians',
    mode: 'embedded',
    phase: 'done',
    startedAt: 0,
    rounds: 0,
    regions: [],
    schedule: { kappa1: 1, kappa2: 1, fraction: 1, quorum: 1 },
    headlineMetrics: ['psnr'],
  });
  const dashboard = await DashboardServer.listen({ state, token: TOKEN, runsDir });
  t.after(() => dashboard.close());

  const browser = await launchChromium(t, ['--enable-unsafe-swiftshader', '--use-angle=swiftshader']);
  const page = await browser.newPage({ viewport: { width: 1000, height: 860 } });
  const webgl = await page.evaluate(() => document.createElement('canvas').getContext('webgl2') !== null);
  if (!webgl) {
    t.skip('this chromium has no WebGL 2, even through SwiftShader: the splat viewer cannot draw here');
    return;
  }
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${dashboard.url}/splats#token=${TOKEN}&file=${runId}/point_cloud.ply`);
  await page.waitForFunction(() => window.strataSplatViewer?.status !== 'loading', undefined, { timeout: 60_000 });
  const loaded = await page.evaluate(() => window.strataSplatViewer);
  assert.equal(loaded?.status, 'ready', `the viewer failed: ${loaded?.error}`);
  assert.equal(loaded?.splats, COUNT, 'every Gaussian of the file was loaded');
  // Spark sorts in a worker: let it draw a few frames after the first sort.
  await page.waitForFunction(() => (window.strataSplatViewer?.frames ?? 0) >= 20, undefined, { timeout: 60_000 });
  mkdirSync(OUTPUT, { recursive: true });
  const shot = join(OUTPUT, 'splat-viewer-canvas.png');
  await page.locator('#splat-stage canvas').screenshot({ path: shot });
  await page.screenshot({ path: process.env.STRATA_SPLAT_SCREENSHOT ?? join(OUTPUT, 'splat-viewer.png') });
  assert.deepEqual(errors, []);

  // Where the ball must be: the viewer frames the centres' bounding box (half-diagonal r) from distance
  // 1.1 r / sin(fov/2), fov 50°, so the ball (radius R, plus its splats' width) spans about
  // asin(R / distance) / tan(fov/2) of the half-height around the middle.
  const { width, height, data } = readPng(shot, 'splat viewer screenshot');
  const halfFov = (25 * Math.PI) / 180;
  const distance = (1.1 * Math.sqrt(3) * BALL_RADIUS) / Math.sin(halfFov);
  const ballPixels = (Math.tan(Math.asin(BALL_RADIUS / distance)) / Math.tan(halfFov)) * (height / 2);
  let inside = 0;
  let insideLit = 0;
  let outside = 0;
  let outsideLit = 0;
  let sumX = 0;
  let sumY = 0;
  let lit = 0;
  const top = [0, 0, 0];
  const bottom = [0, 0, 0];
  let topCount = 0;
  let bottomCount = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = 4 * (y * width + x);
      const on = data[p] + data[p + 1] + data[p + 2] > 60;
      const from = Math.hypot(x + 0.5 - width / 2, y + 0.5 - height / 2);
      // Seen from 20° up, the equator is sin(20°) R below the middle: above 0.5 R up is red, below 0.75 R down blue.
      const across = Math.abs(x + 0.5 - width / 2) < 0.2 * ballPixels;
      if (across && y + 0.5 < height / 2 - 0.5 * ballPixels && y + 0.5 > height / 2 - 0.9 * ballPixels) {
        topCount++;
        for (let c = 0; c < 3; c++) top[c] += data[p + c];
      }
      if (across && y + 0.5 > height / 2 + 0.75 * ballPixels && y + 0.5 < height / 2 + 0.9 * ballPixels) {
        bottomCount++;
        for (let c = 0; c < 3; c++) bottom[c] += data[p + c];
      }
      if (on) {
        lit++;
        sumX += x + 0.5;
        sumY += y + 0.5;
      }
      if (from < 0.6 * ballPixels) {
        inside++;
        if (on) insideLit++;
      } else if (from > 1.4 * ballPixels) {
        outside++;
        if (on) outsideLit++;
      }
    }
  }
  const upper = top.map((c) => c / topCount);
  const lower = bottom.map((c) => c / bottomCount);
  const rgb = (c: number[]): string => c.map((v) => v.toFixed(0)).join(', ');
  t.diagnostic(
    `canvas ${width}x${height}, ball radius about ${ballPixels.toFixed(0)} px: ${((100 * insideLit) / inside).toFixed(1)}% lit in the middle, ` +
      `${((100 * outsideLit) / outside).toFixed(2)}% lit outside; centroid (${(sumX / lit).toFixed(0)}, ${(sumY / lit).toFixed(0)}); ` +
      `mean colour near the top ${rgb(upper)}, near the bottom ${rgb(lower)}`,
  );
  assert.ok(insideLit / inside > 0.9, `the middle of the canvas shows the ball: ${insideLit} of ${inside} pixels lit`);
  assert.ok(outsideLit / outside < 0.02, `the border stays background: ${outsideLit} of ${outside} pixels lit`);
  assert.ok(Math.abs(sumX / lit - width / 2) < 0.05 * width, `lit pixels centred horizontally (${(sumX / lit).toFixed(0)} of ${width})`);
  assert.ok(Math.abs(sumY / lit - height / 2) < 0.05 * height, `lit pixels centred vertically (${(sumY / lit).toFixed(0)} of ${height})`);
  assert.ok(upper[0] > 2 * upper[1] && upper[0] > 2 * upper[2], `the upper half (z > 0) is red at the top: ${rgb(upper)}`);
  assert.ok(lower[2] > 2 * lower[0] && lower[2] > 1.5 * lower[1], `the lower half is blue at the bottom: ${rgb(lower)}`);
});
