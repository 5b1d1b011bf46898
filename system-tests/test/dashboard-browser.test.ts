// The live dashboard in a real browser (playwright-core driving Debian's chromium; never a downloaded browser):
// the page of a running embedded job (`strata run`) shows rounds completing without a reload; and a run with
// 1,000 devices, whose update rate, payload per update and redraw time the test prints. Screenshots go to
// test-output/dashboard-browser/. Skipped, saying why, only when chromium is missing (.ci/run installs it).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { dense, type DeviceTrainer, type FederatedTask, type ViewRenderer } from '@strata/shared';
import { createLogger } from '@strata/runtime';
import { encodeRgbPng } from '@strata/tasks';
import { parseRunConfig } from '@strata/shared';
import { EmbeddedDashboard, runEmbedded } from '@strata/cli';
import { STRATA_BIN } from './distributed-support.js';
import { chromiumMissing, launchChromium } from './chromium-browser.js';

const OUTPUT = fileURLToPath(new URL('../../../test-output/dashboard-browser/', import.meta.url));

async function open(browser: Browser, url: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(url);
  return { page, errors };
}

interface PageStats {
  snapshots: number;
  updates: number;
  bytes: number;
  largestUpdateBytes: number;
  applyMs: number;
  drawMs: number;
  maxDrawMs: number;
  draws: number;
}

// The little of the page's globals the probes below use: this package compiles without the DOM's types. The
// probes are functions, not strings, since the page's CSP forbids eval.
declare const document: { querySelector(selector: string): { dataset: Record<string, string | undefined> } | null };
declare const window: { strataDashboard?: PageStats; notReloaded?: boolean };

/** The last round the loss chart shows, and the newest finished round of the timeline. */
function probe(): { chart: number; timeline: number } {
  return {
    chart: Number(document.querySelector('[data-chart="loss"]')?.dataset.lastRound ?? 0),
    timeline: Number(document.querySelector('#timeline tr[data-status="done"]')?.dataset.round ?? 0),
  };
}

async function progress(page: Page): Promise<{ chart: number; timeline: number }> {
  return page.evaluate(probe);
}

async function until(page: Page, condition: (now: { chart: number; timeline: number }) => boolean, timeout: number): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!condition(await progress(page))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms; the page shows ${JSON.stringify(await progress(page))}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test('the dashboard of a running embedded job shows rounds completing live, without a reload', {
  skip: chromiumMissing,
  timeout: 180_000,
}, async (t) => {
  const runsDir = mkdtempSync(join(tmpdir(), 'strata-dashboard-browser-'));
  t.after(() => rmSync(runsDir, { recursive: true, force: true }));
  // A finished run for the run picker.
  const finished = '20261126-000000-recsys-bpr-mf-test';
  mkdirSync(join(runsDir, finished));
  writeFileSync(
    join(runsDir, finished, 'run.json'),
    JSON.stringify({
      id: finished,
      task: 'recsys/bpr-mf',
      mode: 'embedded',
      startedAt: '2026-11-26T00:00:00Z',
      config: { topology: { edges: 2 } },
      environment: {},
      rounds: [1, 2, 3].map((round) => ({
        round,
        wallSeconds: 1,
        bytes: { deviceEdge: 1e6, edgeCloud: 1e4 },
        metrics: { loss: 1 / round, 'recall@20': 0.1 * round },
      })),
      final: { metrics: { 'recall@20': 0.3 }, wallSeconds: 3 },
    }),
  );
  // More rounds than the test watches: the job is still running whenever the page connects.
  const child = spawn(
    process.execPath,
    [
      STRATA_BIN,
      'run',
      '--devices',
      '120',
      '--rounds',
      '500',
      '--no-baselines',
      '--no-report',
      '--runs-dir',
      runsDir,
      '--dashboard-port',
      '0',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, STRATA_LOG_LEVEL: 'warn' } },
  );
  t.after(() => child.kill('SIGKILL'));
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const found = /^dashboard (http:\/\/\S+)$/m.exec(stdout);
      if (found) resolve(found[1]);
    });
    child.once('exit', (code) =>
      reject(new Error(`strata run exited (${code}) before printing the dashboard link:\n${stdout}\n${stderr}`)),
    );
  });
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/#token=[\w-]{16,}$/);

  const browser = await launchChromium(t);
  const { page, errors } = await open(browser, url);
  await until(page, (now) => now.timeline >= 1 && now.chart >= 1, 60_000);
  const before = await progress(page);
  await page.evaluate(() => {
    window.notReloaded = true;
  });
  await until(page, (now) => now.chart > before.chart && now.timeline > before.timeline, 60_000);
  const after = await progress(page);
  assert.ok(after.chart > before.chart && after.timeline > before.timeline, `rounds advanced: ${JSON.stringify({ before, after })}`);
  assert.equal(await page.evaluate(() => window.notReloaded), true, 'the page was not reloaded');
  assert.equal(await page.textContent('#connection'), 'live');
  assert.equal(await page.locator('#topology .devices .dev').count(), 120, 'every device is on the topology');
  assert.equal(new URL(page.url()).hash, '', 'the token left the address bar');
  mkdirSync(OUTPUT, { recursive: true });
  await page.screenshot({ path: join(OUTPUT, 'dashboard-live.png'), fullPage: true });

  // The run picker: a finished run's record replaces the live view, and the live run comes back.
  await page.focus('#run-picker');
  await page.waitForSelector(`#run-picker option[value="${finished}"]`, { state: 'attached' });
  await page.selectOption('#run-picker', finished);
  await until(page, (now) => now.chart === 3 && now.timeline === 3, 10_000);
  assert.equal(await page.textContent('#run-phase'), 'finished run');
  assert.equal(await page.isHidden('#topology'), true, 'a finished run has no live topology');
  await page.screenshot({ path: join(OUTPUT, 'dashboard-finished-run.png'), fullPage: true });
  await page.selectOption('#run-picker', '');
  await until(page, (now) => now.chart > after.chart, 60_000);
  assert.equal(await page.isVisible('#topology'), true);
  assert.deepEqual(errors, []);
  t.diagnostic(`screenshot ${join(OUTPUT, 'dashboard-live.png')}; rounds ${before.chart} -> ${after.chart} while watching`);
});

/** A 16x16 gradient, brighter with every evaluation (what a radiance task keeps of its evaluations). */
function image(evaluation: number): { width: number; height: number; rgb: Float32Array } {
  const rgb = new Float32Array(16 * 16 * 3).map((_, i) => Math.min(1, ((i % 48) / 48) * (0.5 + 0.05 * evaluation)));
  return { width: 16, height: 16, rgb };
}

/**
 * 1,000 devices with one small tensor each: the work is the dashboard's, not training. Like the radiance task,
 * it keeps a render of a held-out view per evaluation and the model it evaluated, and renders views (a
 * ViewRenderer), for the dashboard's radiance panel and pose control.
 */
function manyDevicesTask(devices: number): FederatedTask & ViewRenderer & { snapshots: unknown[]; lastEvaluatedModel: unknown } {
  const trainer = (index: number): DeviceTrainer => ({
    numSamples: 1,
    // Answers spread over about half a second, as real devices would, so replies land in many ticks.
    train: async () => {
      await new Promise((resolve) => setTimeout(resolve, (index * 37) % 500));
      return { delta: new Map([['w', dense([4])]]), weight: 1, metrics: { loss: 1 } };
    },
  });
  const snapshots: unknown[] = [];
  const camera = { width: 16, height: 16, focal: 20, c2w: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 4] };
  const task = {
    id: 'test/many-devices',
    numDevices: devices,
    describe: () => ({ devices }),
    defaultOptions: () => ({}),
    initModel: () => new Map([['w', dense([4])]]),
    createDevice: trainer,
    snapshots,
    lastEvaluatedModel: null as unknown,
    renderView: async () => {
      const { width, height, rgb } = image(20);
      return { width, height, png: encodeRgbPng(rgb, width, height) };
    },
    evaluate: async (model: unknown) => {
      const evaluation = snapshots.length + 1;
      task.lastEvaluatedModel = model;
      snapshots.push({
        evaluation,
        views: [{ name: 'test/r_0.png', truth: { camera, rgb: image(10).rgb }, render: image(evaluation), psnr: 10 + evaluation }],
      });
      return { 'recall@20': 0.1 + 0.01 * evaluation };
    },
  };
  return task;
}

test('with 1,000 devices the page keeps up: its update rate, payload per update and redraw time', {
  skip: chromiumMissing,
  timeout: 180_000,
}, async (t) => {
  const runsDir = mkdtempSync(join(tmpdir(), 'strata-dashboard-1000-'));
  t.after(() => rmSync(runsDir, { recursive: true, force: true }));
  const rounds = 12;
  const config = parseRunConfig({
    task: 'test/many-devices',
    topology: { edges: 4, devices: 1000 },
    schedule: { rounds, evalEvery: 1 },
    runsDir,
    baselines: false,
    report: false,
  });
  const logger = createLogger('test', 'silent');
  const task = manyDevicesTask(1000);
  const dashboard = await EmbeddedDashboard.start({ config, headlineMetrics: ['recall@20'], host: '127.0.0.1', port: 0, logger, task });
  t.after(() => dashboard.close());
  const browser = await launchChromium(t);
  const { page, errors } = await open(browser, dashboard.url);
  await page.waitForFunction(() => window.strataDashboard?.snapshots === 1, undefined, { timeout: 30_000 });
  const started = Date.now();
  const run = runEmbedded(config, task, logger, dashboard.observer());
  // Mid-run: every device on the page, some of them training.
  await until(page, (now) => now.chart >= 3, 60_000);
  assert.equal(await page.locator('#topology .devices .dev').count(), 1000);
  assert.equal(await page.locator('#topology .edge-node').count(), 4);
  // The held-out render beside its ground truth, as PNG data URLs.
  assert.equal(await page.locator('#radiance img[src^="data:image/png;base64,"]').count(), 2);
  assert.match((await page.textContent('#radiance figcaption')) ?? '', /r_0\.png · round \d+ · psnr 1\d/);
  // The pose control: a render of the evaluated model from another viewpoint.
  await page.click('#radiance .pose button');
  await page.waitForSelector('#radiance figure.requested img[src^="data:image/png;base64,"]', { timeout: 30_000 });
  assert.match((await page.textContent('#radiance figure.requested figcaption')) ?? '', /azimuth 30°, elevation 30°/);
  mkdirSync(OUTPUT, { recursive: true });
  await page.screenshot({ path: join(OUTPUT, 'dashboard-1000-devices.png'), fullPage: true });
  const record = await run;
  dashboard.finished(record.id, 'done');
  await until(page, (now) => now.chart === rounds, 30_000);
  const seconds = (Date.now() - started) / 1000;
  const stats = (await page.evaluate(() => window.strataDashboard))!;
  assert.deepEqual(errors, []);
  const perUpdate = stats.bytes / stats.updates;
  // A delta holds at most every device once (about 13 bytes each) plus the rounds and edges that changed.
  assert.ok(stats.largestUpdateBytes < 40_000, `largest update ${stats.largestUpdateBytes} B`);
  const server = dashboard.server.stats();
  t.diagnostic(`1,000 devices, 4 edges, ${rounds} rounds in ${seconds.toFixed(1)} s (noisy, shared machine)`);
  t.diagnostic(
    `page: ${stats.updates} updates, ${(stats.updates / seconds).toFixed(2)} updates/s (cap 4/s), mean ${Math.round(perUpdate)} B per update, largest ${stats.largestUpdateBytes} B`,
  );
  t.diagnostic(
    `page: ${stats.draws} redraws, mean ${(stats.drawMs / stats.draws).toFixed(1)} ms, longest ${stats.maxDrawMs.toFixed(1)} ms; applying messages ${stats.applyMs.toFixed(0)} ms in all`,
  );
  t.diagnostic(`server: snapshot ${server.snapshotBytes} B, ${server.deltas} deltas, ${server.deltaBytes} B in all`);
});
