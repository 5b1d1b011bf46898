// The browser device page as an edge serves it (a real HTTP server on loopback): the page with a CSP that
// lets it reach the edge's device link and nothing else, its bundles, the join configuration, demo data
// when a task offers it, and clear errors otherwise.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError } from '@strata/shared';
import { BrowserDeviceSite, type BrowserDeviceSiteOptions } from '../src/server/index.js';

const EDGE = 'http://127.0.0.1:7400';

async function serve(t: TestContext, options: Partial<BrowserDeviceSiteOptions> = {}): Promise<string> {
  const site = new BrowserDeviceSite({ region: 'eu-west', edgeUrl: () => EDGE, ...options });
  const server = createServer((request, response) => {
    if (!site.handle(request, response)) response.writeHead(418).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const demo: BrowserDeviceSiteOptions['deviceData'] = {
  task: 'recsys/bpr-mf',
  numDevices: 3,
  get: (index) => {
    if (index === 2) throw new ConfigError('device 2 has no data');
    return { user: index };
  },
};

test('the page, its bundles and the join configuration; other paths are left to the daemon', async (t) => {
  const url = await serve(t);
  const page = await fetch(`${url}/device/`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<script type="module" src="\/device\/assets\/device-page.js">/);
  const csp = page.headers.get('content-security-policy') ?? '';
  assert.match(csp, /connect-src 'self' http:\/\/127\.0\.0\.1:7400 ws:\/\/127\.0\.0\.1:7400;/);
  assert.match(csp, /script-src 'self';/);
  for (const bundle of ['device-page.js', 'device-worker.js']) {
    const response = await fetch(`${url}/device/assets/${bundle}`);
    assert.equal(response.status, 200, `${bundle} is built`);
    assert.match(response.headers.get('content-type') ?? '', /text\/javascript/);
  }
  assert.deepEqual(await (await fetch(`${url}/device/config`)).json(), { region: 'eu-west', edgeUrl: EDGE, demo: null });
  assert.equal((await fetch(`${url}/device`, { redirect: 'manual' })).headers.get('location'), '/device/');
  assert.equal((await fetch(`${url}/device/assets/other.js`)).status, 404);
  assert.equal((await fetch(`${url}/device/config`, { method: 'POST' })).status, 405);
  assert.equal((await fetch(`${url}/healthz`)).status, 418, 'not one of its routes');
});

test('the viewer page: its bundle, and WebAssembly allowed on it alone (the radiance kernels compile their own)', async (t) => {
  const url = await serve(t);
  const page = await fetch(`${url}/device/viewer`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<script type="module" src="\/device\/assets\/viewer-page.js">/);
  const csp = page.headers.get('content-security-policy') ?? '';
  assert.match(csp, /script-src 'self' 'wasm-unsafe-eval';/);
  assert.match(csp, /connect-src 'self' http:\/\/127\.0\.0\.1:7400 ws:\/\/127\.0\.0\.1:7400;/);
  const bundle = await fetch(`${url}/device/assets/viewer-page.js`);
  assert.equal(bundle.status, 200, 'viewer-page.js is built');
  assert.match(bundle.headers.get('content-type') ?? '', /text\/javascript/);
});

test('demo data: served per device when a task offers it; a clear error otherwise', async (t) => {
  const without = await serve(t);
  const none = await fetch(`${without}/device/data/0`);
  assert.equal(none.status, 404);
  assert.match(((await none.json()) as { error: string }).error, /serves no demo data: start it with the task/);

  const url = await serve(t, { deviceData: demo });
  assert.deepEqual(((await (await fetch(`${url}/device/config`)).json()) as { demo: unknown }).demo, {
    task: 'recsys/bpr-mf',
    numDevices: 3,
  });
  assert.deepEqual(await (await fetch(`${url}/device/data/1`)).json(), { user: 1 });
  const beyond = await fetch(`${url}/device/data/3`);
  assert.equal(beyond.status, 404);
  assert.match(((await beyond.json()) as { error: string }).error, /no device 3: the task has 3/);
  const failing = await fetch(`${url}/device/data/2`);
  assert.equal(failing.status, 400);
  assert.match(((await failing.json()) as { error: string }).error, /device 2 has no data/);
  assert.equal((await fetch(`${url}/device/data/-1`)).status, 404);
});

test('an unbuilt page says how to build it', async (t) => {
  const url = await serve(t, { dir: '/nonexistent' });
  const response = await fetch(`${url}/device/`);
  assert.equal(response.status, 503);
  assert.match(((await response.json()) as { error: string }).error, /npm run build/);
});
