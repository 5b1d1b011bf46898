// Browser devices training the voxel grid (issue 21, part 1): 2 Chromium pages served by a real edge daemon
// (given the task, it serves each page its partition of a small procedural scene's views) train the federated
// radiance field with 2 Node devices of the same region, coordinator and edge as processes. The grid's kernels
// run as they are in each page's Web Worker (inline, one thread), so the run's PSNR must be in the band of the
// all-Node run of the same size and seed (the embedded runtime). Each page shows its round, bytes, local loss and
// rays a second. A screenshot of a page goes to test-output/browser-devices-radiance/. Skipped, saying why, only
// without chromium.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDaemonTask, splitTaskConfig } from '@strata/cli';
import { findTask } from '@strata/tasks';
import { fileDeployment, getJson, metric, scrape, waitForHealth, onlyRunRecord } from './distributed-support.js';
import { allNodeMetrics, deviceView, openDevicePages, waitForPage } from './browser-device-support.js';
import { chromiumMissing, launchChromium } from './chromium-browser.js';

const DEVICES = 4;
const BROWSERS = 2;
const ROUNDS = 3;
/**
 * Local steps of 512 rays a round (measured: the all-Node run reaches 27.4 dB after round 3 with the task's own
 * defences, per-row clipping off; 24.7 with rows clipped at 10x the median).
 */
const KAPPA1 = 20;
/** PSNR of the mixed run within this of the all-Node run's (dB). */
const PSNR_BAND = 0.5;
const TASK_OPTIONS = {
  procedural: true,
  imageRes: 24,
  grid: 20,
  devices: DEVICES,
  evalViews: 3,
  snapshotViews: 0,
  batchSize: 512,
  lrDensity: 0.3,
  lrColor: 0.15,
};
const TASK = ['--task', 'radiance/voxel-grid', ...Object.entries(TASK_OPTIONS).flatMap(([k, v]) => ['--task-option', `${k}=${v}`])];
const OUTPUT = fileURLToPath(new URL('../../../test-output/browser-devices-radiance/', import.meta.url));
const { deployment, scratch: runsDir } = fileDeployment('browser-devices-radiance');

test(`${BROWSERS} browser devices and ${DEVICES - BROWSERS} Node devices train the voxel grid to the all-Node run's PSNR`, {
  skip: chromiumMissing,
  timeout: 300_000,
}, async (t) => {
  const edge = await deployment.edge('region-1', TASK);
  const config = await getJson(`${edge.http}/device/config`);
  assert.deepEqual(config.demo, { task: 'radiance/voxel-grid', numDevices: DEVICES }, 'the edge offers the scene split as demo data');
  const nodeDevices = deployment.devices('region-1', [edge.url], BROWSERS, TASK, DEVICES - BROWSERS);
  const browser = await launchChromium(t);
  const errors: string[] = [];
  const pages = await openDevicePages(browser, edge.http, BROWSERS, errors);
  await nodeDevices;
  for (const page of pages) await waitForPage(page, 'the page to connect', (v) => v.status === 'connected' && v.task !== null);
  await waitForHealth(edge.http, (h) => h.devices === DEVICES, `${DEVICES} devices on the edge`);

  const coordinator = deployment.startRun(runsDir, [
    ...TASK,
    '--regions',
    'region-1',
    '--rounds',
    String(ROUNDS),
    '--kappa1',
    String(KAPPA1),
  ]);
  assert.equal(await coordinator.exited, 0, 'the coordinator finishes the run');
  const record = onlyRunRecord(runsDir);
  assert.equal(record.task, 'radiance/voxel-grid');

  for (const [k, page] of pages.entries()) {
    const seen = await deviceView(page);
    t.diagnostic(`device-${k + 1}: ${JSON.stringify(seen?.progress)} ${await page.textContent('#error')}`);
    assert.equal(seen?.task, 'radiance/voxel-grid');
    assert.equal(seen?.progress?.trainings, ROUNDS, `device-${k + 1} trained every round`);
    assert.equal(seen.progress.round, ROUNDS);
    assert.ok(seen.progress.bytesUp > 0 && seen.progress.bytesDown > 0, `device-${k + 1} counted its bytes`);
    // Mean squared error per colour channel of its last training: below an untrained grid's on this scene.
    assert.ok(seen.progress.loss !== null && seen.progress.loss > 0 && seen.progress.loss < 0.05, `local loss ${seen.progress.loss}`);
    assert.equal(seen.progress.speedUnit, 'rays');
    assert.ok((seen.progress.speed ?? 0) > 0, 'and its training speed in rays a second');
    assert.match((await page.textContent('#stat-speed')) ?? '', /rays\/s$/);
    assert.match((await page.textContent('#device-data')) ?? '', /^\d+ views of 24×24 \([\d,]+ rays\) \(IndexedDB\)$/);
  }
  assert.deepEqual(errors, [], 'no page error');
  const samples = await scrape(edge.http);
  assert.equal(metric(samples, 'strata_updates_rejected_total'), 0, 'the edge accepted every update');
  assert.equal(metric(samples, 'strata_updates_accepted_total'), DEVICES * ROUNDS);
  mkdirSync(OUTPUT, { recursive: true });
  await pages[0].screenshot({ path: join(OUTPUT, 'device-page.png') });

  const { task } = await buildDaemonTask(splitTaskConfig({ task: 'radiance/voxel-grid', taskOptions: TASK_OPTIONS }, false).task);
  t.after(() => (task as { close?: () => Promise<void> }).close?.());
  // The coordinator ran with the task's own defences (per-row clipping off): so does the reference.
  const allNode = await allNodeMetrics(task, DEVICES, ROUNDS, KAPPA1, findTask('radiance/voxel-grid').runDefaults);
  const mixed = record.final.metrics.psnr;
  t.diagnostic(
    `PSNR after ${ROUNDS} rounds: ${BROWSERS} browser + ${DEVICES - BROWSERS} Node devices ${mixed.toFixed(3)} dB, all Node ${allNode.psnr.toFixed(3)} dB` +
      ` (equal to the bit: ${mixed === allNode.psnr})`,
  );
  assert.ok(allNode.psnr > 20, `the all-Node run learned (PSNR ${allNode.psnr}; an untrained grid renders about 12 dB)`);
  assert.ok(Math.abs(mixed - allNode.psnr) <= PSNR_BAND, `PSNR ${mixed} is within ${PSNR_BAND} dB of the all-Node run's ${allNode.psnr}`);
});
