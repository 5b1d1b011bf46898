// A browser device with the user's own data file (the demo split's JSON format) joins an edge that offers no
// demo data, through the page's form; a file that is not valid device data is refused on the page, naming the
// problem, and the device neither joins nor keeps it. Skipped, saying why, only without chromium.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { join } from 'node:path';
import { BprMfTask, loadInteractions, ml100kSource, recsysDeviceData } from '@strata/tasks';
import { TOKEN, fileDeployment, getJson, waitForHealth } from './distributed-support.js';
import { waitForPage } from './browser-device-support.js';
import { chromiumMissing, launchChromium } from './chromium-browser.js';

// The page's global the probe reads (this package compiles without the DOM's types).
declare const document: { querySelector(selector: string): { textContent: string | null } | null };

const { deployment, scratch } = fileDeployment('browser-device-own-file');

test("a page joins with the user's own data file; a bad file is refused naming the problem", {
  skip: chromiumMissing,
  timeout: 120_000,
}, async (t) => {
  const edge = await deployment.edge('region-1');
  assert.equal((await getJson(`${edge.http}/device/config`)).demo, null, 'an edge without a task offers no demo data');
  const data = recsysDeviceData(BprMfTask.fromInteractions(loadInteractions(ml100kSource())), 11);
  const good = join(scratch, 'my-data.json');
  const bad = join(scratch, 'bad-data.json');
  writeFileSync(good, JSON.stringify(data));
  writeFileSync(bad, JSON.stringify({ ...data, trainItems: [...data.trainItems, data.numItems + 5] }));

  const browser = await launchChromium(t);
  const joinWith = async (file: string, nodeId: string): Promise<Page> => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${edge.http}/device/`);
    await page.fill('#token', TOKEN);
    await page.fill('#node-id', nodeId);
    await page.setInputFiles('#own-file', file);
    await page.click('#join-form button[type=submit]');
    return page;
  };

  const refused = await joinWith(bad, 'browser-bad');
  await refused.waitForFunction(() => (document.querySelector('#error')?.textContent ?? '') !== '');
  assert.match(
    (await refused.textContent('#error')) ?? '',
    new RegExp(`trainItems holds item ${data.numItems + 5}, outside \\[0, ${data.numItems}\\)`),
  );

  await refused.reload();
  await refused.waitForSelector('#join-form:not([hidden])', { timeout: 10_000 });
  assert.equal(await refused.isHidden('#device-panel'), true, 'refused data is not kept: a reload asks again');

  const page = await joinWith(good, 'browser-own');
  await waitForPage(page, 'the page to connect', (v) => v.status === 'connected' && v.nodeId === 'browser-own');
  assert.match((await page.textContent('#device-data')) ?? '', new RegExp(`user ${data.userId}: ${data.trainItems.length} training items`));
  await waitForHealth(edge.http, (h) => h.devices === 1, 'one device on the edge (the refused one never joined)');
});
