// Remote rendering at the edge, as processes on a real Redis: a coordinator, one edge given the radiance task
// and 2 devices train a tiny procedural scene for 2 rounds; the edge then renders, over HTTP with the device
// token, the model of the latest round it took (version 1), and its PNGs are the ones a device renders
// locally from the same model and camera (colour and depth, orbit and matrix poses). Before any round it
// answers 503; bad tokens and bad requests are refused while it keeps serving.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  VIEW_RENDER_ROUTE,
  decodeModelBlob,
  modelBlobKey,
  parseViewRequest,
  rendersViews,
  VIEW_SESSION_EVENTS,
  type ModelParams,
  type ViewFrameMessage,
  type ViewRequestInput,
} from '@strata/shared';
import { io as connect, type Socket } from 'socket.io-client';
import { RedisBlobStore, decodeJpegFrame } from '@strata/runtime';
import { TEST_REDIS_URL } from '@strata/runtime/testing';
import { RemoteRenderError, fetchEdgeRender } from '@strata/device-client';
import { orbitCamera, focalFromFov, readPng, type RgbaImage } from '@strata/tasks';
import { buildDaemonTask, splitTaskConfig } from '@strata/cli';
import { fileDeployment, TOKEN, metric, scrape, waitForHealth } from './distributed-support.js';

const ROUNDS = 2;
const TASK_OPTIONS = {
  procedural: true,
  imageRes: 16,
  grid: 16,
  devices: 2,
  evalViews: 1,
  snapshotViews: 0,
  batchSize: 1024,
  lrDensity: 2,
  lrColor: 0.5,
};
const TASK_ARGS = ['--task', 'radiance/voxel-grid', ...Object.entries(TASK_OPTIONS).flatMap(([k, v]) => ['--task-option', `${k}=${v}`])];

const { deployment, scratch } = fileDeployment('edge-render');

function post(http: string, body: string, token: string | null = TOKEN): Promise<Response> {
  return fetch(`${http}${VIEW_RENDER_ROUTE.path}`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', ...(token === null ? {} : { authorization: `Bearer ${token}` }) },
  });
}

/** A socket on the edge's view namespace (its devices' socket.io server), connected. */
async function viewSocket(deviceUrl: string, token = TOKEN): Promise<Socket> {
  const socket = connect(`${deviceUrl}/view`, { transports: ['websocket'], auth: { token }, reconnection: false, forceNew: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return socket;
}

let pngs = 0;
function decode(png: Uint8Array): RgbaImage {
  const path = join(scratch, `${pngs++}.png`);
  writeFileSync(path, png);
  return readPng(path, 'render');
}

/** Largest difference of two same-sized images' 8-bit channel values. */
function largestDifference(a: RgbaImage, b: RgbaImage): number {
  assert.deepEqual([a.width, a.height], [b.width, b.height]);
  let largest = 0;
  for (let i = 0; i < a.data.length; i++) largest = Math.max(largest, Math.abs(a.data[i] - b.data[i]));
  return largest;
}

test('an edge with the radiance task renders its newest model for devices, as a device renders it locally', {
  timeout: 120_000,
}, async () => {
  const edge = await deployment.edge('region-1', TASK_ARGS);
  const orbit: ViewRequestInput = {
    width: 20,
    height: 12,
    fovXDegrees: 40,
    orbit: { azimuthDegrees: 30, elevationDegrees: 25, radius: 4 },
  };

  // Before any round: refusals, each answered, the edge serving on.
  assert.equal((await post(edge.http, JSON.stringify(orbit), null)).status, 401);
  await assert.rejects(
    fetchEdgeRender(edge.http, 'not-the-device-token', orbit),
    (error) => error instanceof RemoteRenderError && error.status === 401 && /unauthorized/.test(error.message),
  );
  const badJson = await post(edge.http, '{"width": 20');
  assert.equal(badJson.status, 400);
  assert.match(await badJson.text(), /not JSON/);
  const badWidth = await post(edge.http, JSON.stringify({ ...orbit, width: -20 }));
  assert.equal(badWidth.status, 400);
  assert.match(await badWidth.text(), /width/);
  const tooLarge = await post(edge.http, JSON.stringify({ ...orbit, width: 4096, height: 4096 }));
  assert.equal(tooLarge.status, 400);
  assert.match(await tooLarge.text(), /more than 1048576/);
  const early = await post(edge.http, JSON.stringify(orbit));
  assert.equal(early.status, 503);
  assert.match(await early.text(), /no model yet/);
  // Viewing sessions ride the devices' socket.io link (namespace /view): refused until a model has arrived.
  const earlyView = await viewSocket(edge.url);
  const refusedStart = (await earlyView.emitWithAck(VIEW_SESSION_EVENTS.start, {
    mode: 'remote',
    width: 20,
    height: 12,
    fovXDegrees: 40,
  })) as {
    ok: boolean;
    message: string;
  };
  earlyView.close();
  assert.equal(refusedStart.ok, false);
  assert.match(refusedStart.message, /no model yet/);
  await assert.rejects(viewSocket(edge.url, 'not-the-device-token'), /unauthorized/);

  await deployment.devices('region-1', [edge.url], 0, TASK_ARGS, 2);
  await waitForHealth(edge.http, (h) => h.devices === 2, '2 devices on the edge');
  const coordinator = deployment.startRun(scratch, ['--regions', 'region-1', '--rounds', String(ROUNDS), '--kappa1', '10', ...TASK_ARGS]);
  assert.equal(await coordinator.exited, 0, 'the coordinator finishes the run and exits cleanly');

  // The edge took round 2, which started from version 1: that is the model it renders.
  const colour = await fetchEdgeRender(edge.http, TOKEN, orbit);
  assert.equal(colour.version, ROUNDS - 1);
  assert.ok(colour.renderSeconds >= 0);
  const blobs = new RedisBlobStore({ url: TEST_REDIS_URL, prefix: `${deployment.prefix}:blob:` });
  const blob = await blobs.get(modelBlobKey(colour.version));
  await blobs.close();
  assert.ok(blob, `model blob ${colour.version} is in Redis`);
  const model: ModelParams = decodeModelBlob(blob).model;

  // A device rendering locally: the same task (same configuration) and the same model.
  const { task } = await buildDaemonTask(splitTaskConfig({ task: 'radiance/voxel-grid', taskOptions: TASK_OPTIONS }, false).task);
  assert.ok(rendersViews(task));
  const local = async (request: ViewRequestInput, from = model): Promise<RgbaImage> =>
    decode((await task.renderView(from, parseViewRequest(request))).png);

  const remote = decode(colour.png);
  assert.deepEqual([remote.width, remote.height], [20, 12]);
  assert.ok(largestDifference(remote, await local(orbit)) <= 1, "the edge's render is the device's local render");
  assert.ok(largestDifference(remote, await local(orbit, task.initModel())) > 16, 'the model rendered is trained, not the initial one');

  // The same camera as a matrix gives the same image; depth is another image, also the local one.
  const camera = orbitCamera(Math.PI / 6, (25 * Math.PI) / 180, 4, 20, 12, focalFromFov((40 * Math.PI) / 180, 20));
  const c2w = camera.c2w;
  const matrix: ViewRequestInput = {
    width: 20,
    height: 12,
    fovXDegrees: 40,
    cameraToWorld: [
      [c2w[0], c2w[1], c2w[2], c2w[3]],
      [c2w[4], c2w[5], c2w[6], c2w[7]],
      [c2w[8], c2w[9], c2w[10], c2w[11]],
      [0, 0, 0, 1],
    ],
  };
  assert.ok(largestDifference(decode((await fetchEdgeRender(edge.http, TOKEN, matrix)).png), remote) <= 1, 'matrix and orbit poses agree');
  const depth = decode((await fetchEdgeRender(edge.http, TOKEN, { ...matrix, depth: true })).png);
  assert.ok(largestDifference(depth, await local({ ...matrix, depth: true })) <= 1, "the edge's depth image is the local one");
  assert.ok(largestDifference(depth, remote) > 16, 'depth is not the colour image');

  // A co-rendering session on the devices' link: the frame for the pose sent is the local render (JPEG-coded)
  // and carries the depth the device warps with.
  const view = await viewSocket(edge.url);
  const started = (await view.emitWithAck(VIEW_SESSION_EVENTS.start, {
    mode: 'co',
    width: 20,
    height: 12,
    fovXDegrees: 40,
    jpegQuality: 95,
  })) as {
    ok: boolean;
  };
  assert.equal(started.ok, true);
  const frame = new Promise<ViewFrameMessage>((resolve) => view.once(VIEW_SESSION_EVENTS.frame, resolve));
  view.emit(VIEW_SESSION_EVENTS.pose, { seq: 0, sampledAt: 0, cameraToWorld: matrix.cameraToWorld });
  const got = await frame;
  view.close();
  assert.equal(got.poseSeq, 0);
  assert.ok(got.depth && got.depth.byteLength > 0, 'co-rendering frames carry depth');
  const streamed = decodeJpegFrame(got.color, 20, 12);
  const localRgba = await local(matrix);
  let sse = 0;
  for (let p = 0; p < 240; p++) for (let c = 0; c < 3; c++) sse += (streamed[3 * p + c] - localRgba.data[4 * p + c] / 255) ** 2;
  const framePsnr = -10 * Math.log10(sse / 720);
  assert.ok(framePsnr > 25, `the streamed frame is the local render (${framePsnr.toFixed(2)} dB)`);

  const samples = await scrape(edge.http);
  assert.equal(metric(samples, 'strata_edge_renders_total', { outcome: 'ok' }), 3);
  assert.equal(metric(samples, 'strata_edge_renders_total', { outcome: 'unauthorized' }), 2);
  assert.equal(metric(samples, 'strata_edge_renders_total', { outcome: 'bad_request' }), 3);
  assert.equal(metric(samples, 'strata_edge_renders_total', { outcome: 'no_model' }), 1);
  assert.equal(metric(samples, 'strata_edge_render_duration_seconds_count'), 3);
});
