// POST /render on the edge daemon, in process against a real Redis: every refusal (404 without a renderer,
// 405, 401, 400 naming the field, 413, 503 before any model) is answered and counted while the daemon keeps
// serving, as it does after a renderer fails (500); the render is of the newest global model the edge fetched for a job (an older job taken later
// does not replace it), with its version and render time in headers. The renderer is a stub that writes what
// it was asked into its "image"; the radiance task's real one is tested end to end in
// system-tests/test/edge-render.test.ts.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  VIEW_RENDER_ROUTE,
  dense,
  encodeModelBlob,
  modelBlobKey,
  regionQueue,
  type EdgeRoundJob,
  type ViewRenderer,
  type ViewRequest,
} from '@strata/shared';
import { BullMqJobQueue, RedisBlobStore, createLogger } from '@strata/runtime';
import { TEST_REDIS_URL, deleteRedisKeys, requireRedis, uniqueRedisPrefix } from '@strata/runtime/testing';
import { EdgeDaemon, parseEdgeDaemonConfig } from '../src/index.js';

const TOKEN = 'edge-render-test-token';
const prefix = uniqueRedisPrefix('edge-render')
  .replace(/[^A-Za-z0-9_.-]/g, '-')
  .replace(/-$/, '');
const logger = createLogger('test', 'silent');
const daemons: EdgeDaemon[] = [];
let queue: BullMqJobQueue;
let blobs: RedisBlobStore;

/**
 * Answers with the request and the model's single value as JSON, so the test can see what was rendered; fails
 * on 13 pixels wide.
 */
const stubRenderer: ViewRenderer = {
  async renderView(model, request) {
    if (request.width === 13) throw new Error('the stub cannot render 13 pixels wide');
    const body = JSON.stringify({ w: model.get('w')!.values[0], request });
    return { width: request.width, height: request.height, png: new TextEncoder().encode(body) };
  },
};

function startEdge(region: string, renderer?: ViewRenderer): Promise<EdgeDaemon> {
  const config = parseEdgeDaemonConfig({
    region,
    token: TOKEN,
    listen: { port: 0 },
    http: { port: 0 },
    redis: { url: TEST_REDIS_URL, prefix },
    minDevices: 0,
  });
  return EdgeDaemon.start(config, logger, renderer ? { renderer } : {}).then((daemon) => {
    daemons.push(daemon);
    return daemon;
  });
}

function post(edge: EdgeDaemon, body: unknown, init: { token?: string | null; raw?: string } = {}): Promise<Response> {
  const token = init.token === undefined ? TOKEN : init.token;
  return fetch(`${edge.httpUrl}${VIEW_RENDER_ROUTE.path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token === null ? {} : { authorization: `Bearer ${token}` }) },
    body: init.raw ?? JSON.stringify(body),
  });
}

/** Runs one edge-round job of `version` (the edge has no devices: it only fetches the model) to completion. */
async function runJob(region: string, version: number): Promise<void> {
  await blobs.put(modelBlobKey(version), encodeModelBlob(new Map([['w', dense([1], Float32Array.of(version))]]), version));
  const job: EdgeRoundJob = {
    roundId: `round-${version}`,
    round: version + 1,
    version,
    modelKey: modelBlobKey(version),
    options: {},
    seed: 0,
    schedule: { kappa1: 1, kappa2: 1, fraction: 1, quorum: 1, edgeDeadlineSeconds: 5 },
  };
  const parent = await queue.addFlow({ queue: 'edge-render-test-cloud', name: 'cloud-round', data: {} }, [
    { queue: regionQueue(region), name: 'edge-round', data: { ...job } },
  ]);
  const [outcome] = await queue.waitForFlow(parent, Date.now() + 20_000);
  assert.equal(outcome.state, 'completed', `the job of version ${version} completes`);
}

async function metricValue(edge: EdgeDaemon, series: string): Promise<number> {
  const text = await (await fetch(`${edge.httpUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(series));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

const orbit = { width: 8, height: 6, fovXDegrees: 40, orbit: { azimuthDegrees: 30, elevationDegrees: 20, radius: 4 } };

before(async () => {
  await requireRedis();
  queue = new BullMqJobQueue({ url: TEST_REDIS_URL, prefix });
  blobs = new RedisBlobStore({ url: TEST_REDIS_URL, prefix: `${prefix}:blob:` });
});

after(async () => {
  await Promise.all(daemons.map((d) => d.stop()));
  await queue.close();
  await blobs.close();
  await deleteRedisKeys(`${prefix}:`);
});

test('an edge started without a renderer answers 404 saying rendering is not enabled', async () => {
  const edge = await startEdge('plain');
  const response = await post(edge, orbit);
  assert.equal(response.status, 404);
  assert.match(await response.text(), /rendering is not enabled/);
  const health = (await (await fetch(`${edge.httpUrl}/healthz`)).json()) as Record<string, unknown>;
  assert.equal(health.rendering, false);
});

test('POST /render refuses bad requests with their reason, renders the newest model, and counts both', async () => {
  const region = 'render';
  const edge = await startEdge(region, stubRenderer);

  const get = await fetch(`${edge.httpUrl}${VIEW_RENDER_ROUTE.path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(get.status, 405);
  assert.equal(get.headers.get('allow'), 'POST');
  for (const token of [null, 'not-the-device-token']) {
    const response = await post(edge, orbit, { token });
    assert.equal(response.status, 401, `token ${token}`);
    assert.equal(response.headers.get('www-authenticate'), 'Bearer');
  }

  const bad: [string, unknown, RegExp][] = [
    ['not JSON', undefined, /not JSON/],
    ['an array', [1, 2], /must be a JSON object/],
    ['a negative width', { ...orbit, width: -4 }, /width: .*-4/],
    ['a string for a number', { ...orbit, fovXDegrees: 'NaN' }, /fovXDegrees/],
    ['too many pixels', { ...orbit, width: 2048, height: 1024 }, /width: 2048 x 1024 is 2097152 pixels, more than 1048576/],
    ['no pose', { width: 8, height: 6, fovXDegrees: 40 }, /cameraToWorld: give exactly one/],
    [
      'a bad last row',
      {
        width: 8,
        height: 6,
        fovXDegrees: 40,
        cameraToWorld: [
          [1, 0, 0, 0],
          [0, 1, 0, 0],
          [0, 0, 1, 4],
          [0, 0, 1, 1],
        ],
      },
      /cameraToWorld.3: the last row/,
    ],
    [
      'a singular rotation',
      {
        width: 8,
        height: 6,
        fovXDegrees: 40,
        cameraToWorld: [
          [1, 0, 0, 0],
          [1, 0, 0, 0],
          [0, 0, 1, 4],
          [0, 0, 0, 1],
        ],
      },
      /cameraToWorld: the rotation part is singular/,
    ],
    ['elevation at the pole', { ...orbit, orbit: { ...orbit.orbit, elevationDegrees: 90 } }, /orbit.elevationDegrees/],
    ['an unknown field', { ...orbit, colour: true }, /colour/],
  ];
  for (const [what, body, reason] of bad) {
    const response = await post(edge, body, body === undefined ? { raw: '{"width": 8,' } : {});
    assert.equal(response.status, 400, what);
    assert.match(await response.text(), reason, what);
  }
  const huge = await post(edge, undefined, { raw: JSON.stringify({ ...orbit, padding: 'x'.repeat(64 * 1024) }) });
  assert.equal(huge.status, 413);

  const early = await post(edge, orbit);
  assert.equal(early.status, 503);
  assert.match(await early.text(), /no model yet/);

  await runJob(region, 2);
  await runJob(region, 1); // a late, older job: the edge keeps rendering version 2
  const rendered = await post(edge, orbit);
  assert.equal(rendered.status, 200, await rendered.clone().text());
  assert.equal(rendered.headers.get('content-type'), 'image/png');
  assert.equal(rendered.headers.get(VIEW_RENDER_ROUTE.versionHeader), '2');
  assert.ok(Number(rendered.headers.get(VIEW_RENDER_ROUTE.secondsHeader)) >= 0);
  const image = JSON.parse(await rendered.text()) as { w: number; request: ViewRequest };
  assert.equal(image.w, 2);
  assert.deepEqual(image.request, { ...orbit, depth: false });

  const failed = await post(edge, { ...orbit, width: 13 });
  assert.equal(failed.status, 500);
  assert.match(await failed.text(), /render failed: the stub cannot render 13 pixels wide/);
  assert.equal((await post(edge, { ...orbit, depth: true })).status, 200, 'the edge renders again after a failed render');

  const health = (await (await fetch(`${edge.httpUrl}/healthz`)).json()) as Record<string, unknown>;
  assert.equal(health.rendering, true);
  assert.equal(health.modelVersion, 2);
  assert.equal(await metricValue(edge, 'strata_edge_renders_total{outcome="ok"'), 2);
  assert.equal(await metricValue(edge, 'strata_edge_renders_total{outcome="failed"'), 1);
  assert.equal(await metricValue(edge, 'strata_edge_renders_total{outcome="unauthorized"'), 2);
  assert.equal(await metricValue(edge, 'strata_edge_renders_total{outcome="bad_request"'), bad.length + 2);
  assert.equal(await metricValue(edge, 'strata_edge_renders_total{outcome="no_model"'), 1);
  assert.equal(await metricValue(edge, 'strata_edge_render_duration_seconds_count'), 2);
});
