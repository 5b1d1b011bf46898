// Browser devices beyond BPR-MF: 2 Chromium pages served by a real edge daemon train federated NeuMF (its
// hand-written kernels, bundled as they are) with Node devices of the same region, coordinator and edge as
// processes. With no reload, a browser device computes exactly what the Node device of its user computes, so
// the run's metrics equal the all-Node run's (the embedded runtime, same size and seed). Skipped, saying why,
// only without chromium.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NeuMFTask, loadInteractions, ml100kSource } from '@strata/tasks';
import { fileDeployment, waitForHealth, onlyRunRecord } from './distributed-support.js';
import { allNodeMetrics, deviceView, openDevicePages, waitForPage } from './browser-device-support.js';
import { chromiumMissing, launchChromium } from './chromium-browser.js';

const USERS = 16;
const BROWSERS = 2;
const ROUNDS = 3;
const TASK = ['--task', 'recsys/neumf'];
const { deployment, scratch: runsDir } = fileDeployment('browser-devices-neumf');

test(`${BROWSERS} browser devices and ${USERS - BROWSERS} Node devices train NeuMF to the all-Node run's metrics`, {
  skip: chromiumMissing,
  timeout: 240_000,
}, async (t) => {
  const edge = await deployment.edge('region-1', TASK);
  const nodeDevices = deployment.devices('region-1', [edge.url], BROWSERS, TASK, USERS - BROWSERS);
  const browser = await launchChromium(t);
  const errors: string[] = [];
  const pages = await openDevicePages(browser, edge.http, BROWSERS, errors);
  await nodeDevices;
  for (const page of pages) await waitForPage(page, 'the page to connect', (v) => v.status === 'connected');
  await waitForHealth(edge.http, (h) => h.devices === USERS, `${USERS} devices on the edge`);

  const coordinator = deployment.startRun(runsDir, [...TASK, '--regions', 'region-1', '--rounds', String(ROUNDS)]);
  assert.equal(await coordinator.exited, 0, 'the coordinator finishes the run');
  const record = onlyRunRecord(runsDir);
  for (const [k, page] of pages.entries()) {
    const seen = await deviceView(page);
    assert.equal(seen?.progress?.trainings, ROUNDS, `device-${k + 1} trained every round`);
    assert.equal(seen?.progress?.evaluations, ROUNDS, `and evaluated after each`);
  }
  assert.deepEqual(errors, [], 'no page error');

  const allNode = await allNodeMetrics(NeuMFTask.fromInteractions(loadInteractions(ml100kSource())), USERS, ROUNDS);
  t.diagnostic(`NeuMF after ${ROUNDS} rounds: mixed ${JSON.stringify(record.final.metrics)}, all Node ${JSON.stringify(allNode)}`);
  assert.ok(allNode['recall@20'] > 0);
  assert.deepEqual(record.final.metrics, allNode, 'the same metrics as the all-Node run');
});
