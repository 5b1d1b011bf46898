// Acceptance (issue 21, browser devices): headless Chromium opens 4 device pages served by a real edge daemon
// (a separate process, with Redis and a coordinator process); with Node devices of the same region they train
// federated BPR-MF on ml-100k. One page is reloaded mid-run: it resumes from IndexedDB as the same device
// (same id, same session) and trains again. The run's Recall@20 must be in the band of an all-Node run of the
// same size and seed (the embedded runtime, which the distributed one matches bit for bit). A browser device
// runs the same task code as a Node device, so only the reload (which restarts its sampler) moves the result.
// A screenshot of a device page goes to test-output/browser-devices/. Skipped, saying why, only without chromium.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { parseRunConfig, type RunRecord } from '@strata/shared';
import { createLogger } from '@strata/runtime';
import { BprMfTask, loadInteractions, ml100kSource } from '@strata/tasks';
import { EmbeddedTopology } from '@strata/cli';
import { TOKEN, fileDeployment, getJson, waitForHealth } from './distributed-support.js';
import { chromiumMissing, launchChromium } from './chromium-browser.js';

const USERS = 60;
const BROWSERS = 4;
const ROUNDS = 10;
const RELOAD_AFTER_ROUND = 3;
/** Recall@20 of the mixed run within this of the all-Node run's (60 users: one user's hit moves it ~0.005). */
const RECALL_BAND = 0.02;
const OUTPUT = fileURLToPath(new URL('../../../test-output/browser-devices/', import.meta.url));
const { deployment, scratch: runsDir } = fileDeployment('browser-devices');

interface DeviceView {
  status: string;
  nodeId: string | null;
  reloads: number;
  progress: { round: number; trainings: number; evaluations: number; bytesDown: number; bytesUp: number; loss: number | null } | null;
}
// The page's global the probes read (this package compiles without the DOM's types).
declare const window: { strataDevice?: DeviceView };
const view = (page: Page): Promise<DeviceView | undefined> => page.evaluate(() => window.strataDevice);

async function until(page: Page, what: string, ready: (v: DeviceView) => boolean, timeoutMs = 60_000): Promise<DeviceView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const seen = await view(page).catch(() => undefined);
    if (seen && ready(seen)) return seen;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: the page shows ${JSON.stringify(seen)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function allNodeRecall(): Promise<number> {
  const config = parseRunConfig({ topology: { edges: 1, devices: USERS }, schedule: { rounds: ROUNDS } });
  const task = BprMfTask.fromInteractions(loadInteractions(ml100kSource()), { seed: config.seed });
  const topology = new EmbeddedTopology({
    task,
    edges: 1,
    devices: USERS,
    schedule: config.schedule,
    strategy: config.strategy,
    edgeStrategy: config.edgeStrategy,
    compression: config.compression,
    taskOptions: task.defaultOptions(),
    seed: config.seed,
    logger: createLogger('test', 'silent'),
  });
  await topology.start();
  let recall = 0;
  for (let round = 1; round <= ROUNDS; round++) {
    await topology.runRound(round);
    recall = (await topology.evaluate(round)).metrics['recall@20'];
  }
  await topology.stop();
  return recall;
}

test(`${BROWSERS} browser devices and ${USERS - BROWSERS} Node devices train BPR-MF together; a reloaded page rejoins`, {
  skip: chromiumMissing,
  timeout: 300_000,
}, async (t) => {
  const edge = await deployment.edge('region-1', ['--task', 'recsys/bpr-mf']);
  const config = await getJson(`${edge.http}/device/config`);
  assert.equal(config.edgeUrl, edge.url, 'the page is told where the edge device link is');
  // Node devices are partitions BROWSERS.. (ids device-<k+1>), slowed so the run lasts long enough for a reload.
  const nodeDevices = deployment.devices('region-1', [edge.url], BROWSERS, ['--train-delay-ms', '400'], USERS - BROWSERS);

  const browser = await launchChromium(t);
  const pages: Page[] = [];
  const errors: string[] = [];
  for (let k = 0; k < BROWSERS; k++) {
    // A context each: every page is its own device with its own IndexedDB, as on separate machines.
    const context = await browser.newContext({ viewport: { width: 900, height: 640 } });
    const page = await context.newPage();
    page.on('pageerror', (error) => errors.push(`device-${k + 1}: ${error.message}`));
    await page.goto(`${edge.http}/device/#token=${TOKEN}&device=device-${k + 1}&user=${k}`);
    pages.push(page);
  }
  await nodeDevices;
  for (const page of pages) await until(page, 'the page to connect', (v) => v.status === 'connected');
  await waitForHealth(edge.http, (h) => h.devices === USERS, `${USERS} devices on the edge`);

  const coordinator = deployment.start('coordinator', [
    'coordinator',
    '--regions',
    'region-1',
    '--rounds',
    String(ROUNDS),
    '--exit-when-done',
    '--runs-dir',
    runsDir,
    '--http-port',
    '0',
  ]);
  await coordinator.waitFor(
    (line) => line.msg === 'evaluated' && line.round === RELOAD_AFTER_ROUND,
    `round ${RELOAD_AFTER_ROUND}`,
    120_000,
  );
  const reloaded = pages[0];
  const before = await view(reloaded);
  assert.ok(
    before?.progress && before.progress.round >= RELOAD_AFTER_ROUND,
    `the page trained before its reload: ${JSON.stringify(before)} ${await reloaded.textContent('#error')}`,
  );
  await reloaded.reload();
  const after = await until(reloaded, 'the reloaded page to rejoin', (v) => v.status === 'connected' && v.reloads === 1);
  assert.equal(after.nodeId, 'device-1', 'it rejoins as the same device, from IndexedDB (the link fragment is gone)');
  assert.ok(after.progress && after.progress.round >= RELOAD_AFTER_ROUND, 'and shows its progress from before the reload');

  assert.equal(await coordinator.exited, 0, 'the coordinator finishes the run');
  const [runFolder] = readdirSync(runsDir);
  const record = JSON.parse(readFileSync(join(runsDir, runFolder, 'run.json'), 'utf8')) as RunRecord;
  assert.deepEqual(
    record.rounds.map((r) => r.version),
    Array.from({ length: ROUNDS }, (_, k) => k + 1),
  );

  for (const [k, page] of pages.entries()) {
    const seen = await view(page);
    assert.ok(seen?.progress, `device-${k + 1} shows its progress`);
    assert.ok(
      seen.progress.round > (k === 0 ? RELOAD_AFTER_ROUND + 1 : ROUNDS - 1),
      `device-${k + 1} trained to round ${seen.progress.round}`,
    );
    assert.ok(seen.progress.bytesUp > 0 && seen.progress.bytesDown > 0, `device-${k + 1} counted its bytes`);
    assert.ok(seen.progress.loss !== null && seen.progress.loss > 0 && seen.progress.loss < 0.7, `local loss ${seen.progress.loss}`);
  }
  // The edge saw device-1 leave and come back; every browser device evaluated in the last evaluation.
  const connects = edge.daemon.lines.filter((l) => l.msg === 'device connect' && l.deviceId === 'device-1');
  assert.equal(connects.length, 2, 'device-1 connected twice (before and after its reload)');
  assert.deepEqual(errors, [], 'no page error');

  mkdirSync(OUTPUT, { recursive: true });
  await pages[1].screenshot({ path: join(OUTPUT, 'device-page.png') });

  // The Stop button disconnects the device: the edge counts one device fewer.
  await pages[1].click('#stop');
  await until(pages[1], 'the stopped page', (v) => v.status === 'stopped');
  await waitForHealth(edge.http, (h) => h.devices === USERS - 1, 'the stopped device gone from the edge');

  const mixed = record.final.metrics['recall@20'];
  const allNode = await allNodeRecall();
  t.diagnostic(
    `Recall@20 after ${ROUNDS} rounds: ${BROWSERS} browser + ${USERS - BROWSERS} Node devices ${mixed.toFixed(4)}, all Node ${allNode.toFixed(4)}`,
  );
  assert.ok(allNode > 0.05, `the all-Node run learned (Recall@20 ${allNode})`);
  assert.ok(Math.abs(mixed - allNode) <= RECALL_BAND, `Recall@20 ${mixed} is within ${RECALL_BAND} of the all-Node run's ${allNode}`);
});
