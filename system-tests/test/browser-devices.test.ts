// Acceptance (issue 21, browser devices): headless Chromium opens 4 device pages served by a real edge daemon
// (a separate process, with Redis and a coordinator process); with Node devices of the same region they train
// federated BPR-MF on ml-100k, one page uploading int8 updates. One page is reloaded mid-run: it resumes from
// IndexedDB as the same device (same id, same session) and trains again. The run's Recall@20 must be in the band
// of an all-Node run of the same size and seed (the embedded runtime, which the distributed one matches bit for
// bit). A browser device runs the same task code as a Node device, so only the reload (which restarts its
// sampler) and the int8 page's quantisation move the result. A screenshot of a device page goes to
// test-output/browser-devices/. Skipped, saying why, only without chromium.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BprMfTask, loadInteractions, ml100kSource } from '@strata/tasks';
import { fileDeployment, getJson, metric, scrape, waitForHealth, onlyRunRecord } from './distributed-support.js';
import { allNodeMetrics, deviceView, openDevicePages, waitForPage } from './browser-device-support.js';
import { chromiumMissing, launchChromium } from './chromium-browser.js';

const USERS = 60;
const BROWSERS = 4;
const ROUNDS = 10;
const RELOAD_AFTER_ROUND = 3;
/** Recall@20 of the mixed run within this of the all-Node run's (60 users: one user's hit moves it ~0.005). */
const RECALL_BAND = 0.02;
const OUTPUT = fileURLToPath(new URL('../../../test-output/browser-devices/', import.meta.url));
const { deployment, scratch: runsDir } = fileDeployment('browser-devices');

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
  const errors: string[] = [];
  // The last page uploads int8 updates (with error feedback), the others float32.
  const pages = await openDevicePages(browser, edge.http, BROWSERS, errors, (k) => (k === BROWSERS - 1 ? '&compression=int8' : ''));
  await nodeDevices;
  for (const page of pages) await waitForPage(page, 'the page to connect', (v) => v.status === 'connected');
  await waitForHealth(edge.http, (h) => h.devices === USERS, `${USERS} devices on the edge`);

  const coordinator = deployment.startRun(runsDir, ['--regions', 'region-1', '--rounds', String(ROUNDS)]);
  await coordinator.waitFor(
    (line) => line.msg === 'evaluated' && line.round === RELOAD_AFTER_ROUND,
    `round ${RELOAD_AFTER_ROUND}`,
    120_000,
  );
  const reloaded = pages[0];
  const before = await deviceView(reloaded);
  assert.ok(
    before?.progress && before.progress.round >= RELOAD_AFTER_ROUND,
    `the page trained before its reload: ${JSON.stringify(before)} ${await reloaded.textContent('#error')}`,
  );
  await reloaded.reload();
  const after = await waitForPage(reloaded, 'the reloaded page to rejoin', (v) => v.status === 'connected' && v.reloads === 1);
  assert.equal(after.nodeId, 'device-1', 'it rejoins as the same device, from IndexedDB (the link fragment is gone)');
  assert.ok(
    after.progress && after.progress.round >= RELOAD_AFTER_ROUND,
    `and shows its progress from before the reload: ${JSON.stringify(after)}`,
  );
  // Its device counts on from there: the first training after the reload adds to the trainings before it
  // (the worker once started its counters at zero, and its first report replaced the page's figures).
  const trainedAgain = await waitForPage(reloaded, 'a training after the reload', (v) => (v.progress?.round ?? 0) > after.progress!.round);
  assert.ok(
    trainedAgain.progress!.trainings > before.progress.trainings,
    `trainings count on across the reload: ${before.progress.trainings} before, ${trainedAgain.progress!.trainings} after`,
  );

  assert.equal(await coordinator.exited, 0, 'the coordinator finishes the run');
  const record = onlyRunRecord(runsDir);
  assert.deepEqual(
    record.rounds.map((r) => r.version),
    Array.from({ length: ROUNDS }, (_, k) => k + 1),
  );

  for (const [k, page] of pages.entries()) {
    const seen = await deviceView(page);
    t.diagnostic(`device-${k + 1}: ${JSON.stringify(seen?.progress)}`);
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
  const samples = await scrape(edge.http);
  assert.equal(metric(samples, 'strata_updates_rejected_total'), 0, 'the edge accepted every update, int8 ones included');
  assert.ok(metric(samples, 'strata_updates_accepted_total') >= (USERS - 1) * ROUNDS);

  mkdirSync(OUTPUT, { recursive: true });
  await pages[1].screenshot({ path: join(OUTPUT, 'device-page.png') });

  // The Stop button disconnects the device: the edge counts one device fewer.
  await pages[1].click('#stop');
  await waitForPage(pages[1], 'the stopped page', (v) => v.status === 'stopped');
  await waitForHealth(edge.http, (h) => h.devices === USERS - 1, 'the stopped device gone from the edge');

  const mixed = record.final.metrics['recall@20'];
  const allNode = (await allNodeMetrics(BprMfTask.fromInteractions(loadInteractions(ml100kSource())), USERS, ROUNDS))['recall@20'];
  t.diagnostic(
    `Recall@20 after ${ROUNDS} rounds: ${BROWSERS} browser + ${USERS - BROWSERS} Node devices ${mixed.toFixed(4)}, all Node ${allNode.toFixed(4)}`,
  );
  assert.ok(allNode > 0.05, `the all-Node run learned (Recall@20 ${allNode})`);
  assert.ok(Math.abs(mixed - allNode) <= RECALL_BAND, `Recall@20 ${mixed} is within ${RECALL_BAND} of the all-Node run's ${allNode}`);
});
