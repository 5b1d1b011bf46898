import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger, encodeRgb8Frame, nodeViewFrameDecoder } from '@strata/runtime';
import { playViewSession, type ShownFrame } from '@strata/device-client';
import { SeededRandom } from '@strata/shared';
import { LinkPipe, ShapingProxy } from '@strata/simulator';
import {
  GAUSSIAN_LOG_SCALE,
  GAUSSIAN_OPACITY,
  GAUSSIAN_POSITION,
  GAUSSIAN_ROTATION,
  GAUSSIAN_SH,
  GAUSSIAN_STRIDE,
  GaussianCloud,
  DEFAULT_FAST_SPLAT,
  FULL_SPLAT,
  GaussianRenderer,
  ParallelSplatRenderer,
  RadianceFrameRenderer,
  RadianceViewerDevice,
  SH_C0,
  SplatViewRenderer,
  cameraPose,
  focalFromFov,
  logit,
  orbitCamera,
  psnr,
  writePixelRay,
} from '@strata/tasks';
import { LoopbackViewEdge, connectViewSocket } from '../src/view/measured-view-session.js';

// A procedural Gaussian model: 3000 small opaque Gaussians on a sphere of radius 0.6 (a shell thick enough to
// hide the far side), coloured by position, on a white background.
const RADIUS = 0.6;
const WHITE: [number, number, number] = [1, 1, 1];

function ballCloud(count = 3000): GaussianCloud {
  const rng = new SeededRandom(7);
  const params = new Float32Array(count * GAUSSIAN_STRIDE);
  for (let i = 0; i < count; i++) {
    const row = i * GAUSSIAN_STRIDE;
    // Uniform on the sphere (Archimedes: z uniform, angle uniform).
    const z = 2 * rng.next() - 1,
      phi = 2 * Math.PI * rng.next(),
      r = Math.sqrt(1 - z * z);
    const p = [r * Math.cos(phi), r * Math.sin(phi), z];
    for (let a = 0; a < 3; a++) {
      params[row + GAUSSIAN_POSITION + a] = RADIUS * p[a];
      params[row + GAUSSIAN_LOG_SCALE + a] = Math.log(0.045);
      // Colour in [0.1, 0.9] by position: never the white background.
      params[row + GAUSSIAN_SH + a] = (0.1 + 0.8 * (0.5 + 0.5 * p[a]) - 0.5) / SH_C0;
    }
    params[row + GAUSSIAN_ROTATION] = 1;
    params[row + GAUSSIAN_OPACITY] = logit(0.9);
  }
  return new GaussianCloud(count, params, 0);
}

const SIZE = 64;
const FOV = 40;
const CAMERA_DISTANCE = 4;
const focal = focalFromFov((FOV * Math.PI) / 180, SIZE);
const cameraAt = (azimuth: number) => orbitCamera(azimuth, 0.4, CAMERA_DISTANCE, SIZE, SIZE, focal);
const logger = createLogger('view-splats-test', 'silent');

/** Fraction of the pixels in the square [from, to) x [from, to) that are not the white background. */
function shaded(rgb: Float32Array, from: number, to: number): number {
  let count = 0;
  for (let y = from; y < to; y++)
    for (let x = from; x < to; x++) {
      const p = y * SIZE + x;
      if (rgb[3 * p] + rgb[3 * p + 1] + rgb[3 * p + 2] < 2.9) count++;
    }
  return count / ((to - from) * (to - from));
}

test('the parallel splat renderer gives the one-thread forward pass image, with a plausible median depth', async () => {
  const cloud = ballCloud();
  const parallel = new ParallelSplatRenderer(cloud, WHITE, 2);
  try {
    const camera = cameraAt(0.3);
    const reference = new GaussianRenderer(cloud, WHITE).render(camera);
    const full = await parallel.render(camera, 'full');
    let worst = 0;
    for (let i = 0; i < full.rgb.length; i++) worst = Math.max(worst, Math.abs(full.rgb[i] - reference.rgb[i]));
    assert.ok(worst < 1e-6, `bands across 2 workers differ from the whole-frame forward pass by ${worst}`);
    const single = new SplatViewRenderer(cloud, WHITE, FULL_SPLAT).render(camera);
    assert.deepEqual(single.rgb, full.rgb);
    // The object fills the middle and not the corners.
    assert.ok(shaded(full.rgb, 24, 40) > 0.95, `middle ${shaded(full.rgb, 24, 40)}`);
    assert.ok(shaded(full.rgb, 0, 6) === 0, `corner ${shaded(full.rgb, 0, 6)}`);
    // Median depth along the unit ray: the sphere's near surface, 4 - 0.6 at the centre, deeper off-centre.
    const centre = (SIZE / 2) * SIZE + SIZE / 2;
    assert.ok(Math.abs(full.depth[centre] - (CAMERA_DISTANCE - RADIUS)) < 0.08, `centre depth ${full.depth[centre]}`);
    // Every pixel with a depth puts its point on the sphere's shell, no mid-air: within 4 sigmas (0.18), since a
    // splat's depth is its centre's and a grazing ray at the rim meets a Gaussian's tail off its centre.
    const origin = new Float64Array(3),
      dir = new Float64Array(3);
    let withDepth = 0;
    for (let p = 0; p < SIZE * SIZE; p++) {
      if (full.depth[p] === 0) continue;
      withDepth++;
      assert.ok(full.opacity[p] >= 0.5, `pixel ${p} has a depth at opacity ${full.opacity[p]}`);
      writePixelRay(camera, (p % SIZE) + 0.5, Math.floor(p / SIZE) + 0.5, origin, dir, 0);
      const r = Math.hypot(...[0, 1, 2].map((a) => origin[a] + dir[a] * full.depth[p]));
      assert.ok(Math.abs(r - RADIUS) < 0.2, `pixel ${p}: depth ${full.depth[p]} puts a point at radius ${r.toFixed(3)}`);
    }
    assert.ok(withDepth > 0.2 * SIZE * SIZE, `${withDepth} pixels with a depth`);
    assert.equal(full.depth[0], 0, 'a corner has no surface');
    // The fast path stops pixels early: close to full quality, not identical to it (a band, not a figure).
    const fast = await parallel.render(camera, 'fast');
    const fastQuality = psnr(fast.rgb, full.rgb);
    assert.ok(fastQuality > 30 && fastQuality < 200, `fast vs full ${fastQuality.toFixed(2)} dB`);
    const draft = await parallel.render(camera, 'draft');
    assert.deepEqual([draft.width, draft.height], [SIZE, SIZE]);
    assert.ok(psnr(draft.rgb, full.rgb) > 18);
  } finally {
    await parallel.close();
  }
});

test('workers that each project a part of the cloud into one shared projection give the one-thread image, frame after frame', async () => {
  // 3001 Gaussians over 3 workers: parts of 1000, 1000 and 1001, so no part boundary is a round number.
  const cloud = ballCloud(3001);
  const parallel = new ParallelSplatRenderer(cloud, WHITE, 3);
  try {
    for (const [at, quality, settings] of [
      [0.3, 'fast', DEFAULT_FAST_SPLAT],
      [1.1, 'full', FULL_SPLAT],
      [2.0, 'fast', DEFAULT_FAST_SPLAT],
    ] as const) {
      const camera = cameraAt(at);
      const single = new SplatViewRenderer(cloud, WHITE, settings).render(camera);
      const frame = await parallel.render(camera, quality);
      assert.deepEqual(frame.rgb, single.rgb, `${quality} colour at ${at}`);
      // The workers' 8-bit colour is the floats' (what the rgb8 codecs would have quantised on the edge).
      assert.deepEqual(frame.rgb8, encodeRgb8Frame(frame.rgb, SIZE, SIZE), `${quality} 8-bit colour at ${at}`);
      assert.deepEqual(frame.depth, single.depth, `${quality} depth at ${at}`);
      assert.ok(shaded(frame.rgb, 24, 40) > 0.95, `the object is in the frame at ${at}`);
    }
  } finally {
    await parallel.close();
  }
});

test('frames rendered into the buffers of frames handed back are the fresh images; foreign and twice-returned frames are ignored', async () => {
  const cloud = ballCloud(2000);
  const parallel = new ParallelSplatRenderer(cloud, WHITE, 2);
  try {
    // A frame mostly of object, handed back, then one from the other side into its buffers: nothing of the
    // first shows through (every pixel is written), and the buffers were reused.
    const first = await parallel.render(cameraAt(0.2), 'fast');
    parallel.recycle(first);
    parallel.recycle(first); // a second hand-back of the same frame is ignored
    const camera = cameraAt(2.4);
    const reused = await parallel.render(camera, 'fast');
    assert.equal(reused.rgb, first.rgb, 'the handed-back buffers were rendered into');
    const single = new SplatViewRenderer(cloud, WHITE, DEFAULT_FAST_SPLAT).render(camera);
    assert.deepEqual(reused.rgb, single.rgb, 'colour');
    assert.deepEqual(reused.depth, single.depth, 'depth');
    assert.deepEqual(reused.opacity, single.opacity, 'opacity');
    // Handed back once only: the next frame gets fresh buffers, not the ones `reused` still holds.
    const next = await parallel.render(cameraAt(1.0), 'fast');
    assert.notEqual(next.rgb, reused.rgb, 'a frame handed back twice is not given to two frames');
    // A frame the renderer did not return is not taken.
    const n = SIZE * SIZE;
    const foreign = { rgb: new Float32Array(3 * n), depth: new Float32Array(n), opacity: new Float32Array(n) };
    parallel.recycle(foreign);
    const after = await parallel.render(cameraAt(1.5), 'fast');
    assert.notEqual(after.rgb, foreign.rgb, 'a foreign frame is ignored');
  } finally {
    await parallel.close();
  }
});

test('remote and co-rendering sessions of a Gaussian model over a shaped link show the object', async () => {
  const cloud = ballCloud();
  const parallel = new ParallelSplatRenderer(cloud, WHITE, 2);
  const edge = await LoopbackViewEdge.start(new RadianceFrameRenderer(parallel, 2, 6), logger);
  const pipe = new LinkPipe({ latencyMs: 5, jitterMs: 0, upMbps: 1000, downMbps: 1000, loss: 0 }, new SeededRandom(1));
  const route = { up: [{ pipe, direction: 'up' as const }], down: [{ pipe, direction: 'down' as const }] };
  const proxy = await ShapingProxy.start({ target: { host: '127.0.0.1', port: edge.port }, route: () => route });
  const device = new RadianceViewerDevice(new SplatViewRenderer(cloud, WHITE), 2, 6, {
    width: SIZE,
    height: SIZE,
    fovXDegrees: FOV,
    cpuSpeed: 1,
  });
  const path = Array.from({ length: 12 }, (_, k) => cameraPose(cameraAt(0.3 + (k * 2 * Math.PI) / 180)));
  const references = path.map(
    (pose) => new GaussianRenderer(cloud, WHITE).render({ width: SIZE, height: SIZE, focal, c2w: pose.slice(0, 3).flat() }).rgb,
  );
  try {
    for (const architecture of ['remote', 'co'] as const) {
      const socket = await connectViewSocket(proxy.port, edge.token);
      const shown: ShownFrame[] = [];
      try {
        const result = await playViewSession({
          architecture,
          path,
          rateHz: 30,
          // Co-rendering's colour travels as deflated 8-bit rgb (the fast links' codec), remote's as JPEG.
          session: { width: SIZE, height: SIZE, fovXDegrees: FOV, colorCodec: architecture === 'co' ? 'rgb8-deflate' : 'jpeg' },
          device,
          decoder: nodeViewFrameDecoder,
          socket,
          onShown: (frame) => shown.push(frame),
          drainMs: 10_000,
        });
        assert.ok(result.framesReceived >= 1, `${architecture}: no frame arrived`);
        assert.ok(shown.length >= 1, `${architecture}: nothing shown`);
        for (const frame of shown) {
          assert.ok(shaded(frame.rgb, 24, 40) > 0.9, `${architecture}: the middle of a shown frame is background`);
          assert.ok(shaded(frame.rgb, 0, 6) < 0.05, `${architecture}: a corner of a shown frame is shaded`);
          // (Co-rendering's first frame is the device's quarter-size fill alone: blurred, hence the low band.)
          const quality = psnr(frame.rgb, references[frame.userPose]);
          assert.ok(quality > 15, `${architecture}: shown frame ${quality.toFixed(2)} dB against the user's pose`);
        }
        if (architecture === 'remote') assert.equal(shown.at(-1)?.contentPose, path.length - 1, 'the newest pose is never dropped');
      } finally {
        socket.close();
      }
    }
  } finally {
    await proxy.close();
    await edge.close();
    await parallel.close();
  }
});
