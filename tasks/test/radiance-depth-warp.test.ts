import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fillWarpHoles, lookAtCamera, warpDepthFrame, writePixelRay, type Camera, type DepthFrame } from '../src/radiance/index.js';

// A synthetic scene with known geometry: the ground plane z = 0 with a smooth colour pattern, and a box
// (|x|, |y| <= 0.3, 0 <= z <= 0.6) painted a flat red. Frames are ray-traced exactly, so a warped frame can be
// compared with the exact frame at the target camera.
const groundColour = (x: number, y: number): [number, number, number] => [0.5 + 0.4 * Math.sin(6 * x), 0.5 + 0.4 * Math.cos(6 * y), 0.3];
const BOX = 0.3,
  HEIGHT = 0.6;

function traceScene(camera: Camera, withBox: boolean): DepthFrame {
  const n = camera.width * camera.height;
  const rgb = new Float32Array(3 * n),
    depth = new Float32Array(n),
    opacity = new Float32Array(n);
  const o = new Float64Array(3),
    d = new Float64Array(3);
  for (let y = 0; y < camera.height; y++) {
    for (let x = 0; x < camera.width; x++) {
      const p = y * camera.width + x;
      writePixelRay(camera, x + 0.5, y + 0.5, o, d, 0);
      let best = Number.POSITIVE_INFINITY;
      let colour: [number, number, number] = [1, 1, 1];
      if (d[2] < 0) {
        const t = -o[2] / d[2];
        const gx = o[0] + t * d[0],
          gy = o[1] + t * d[1];
        if (Math.abs(gx) < 3 && Math.abs(gy) < 3) {
          best = t;
          colour = groundColour(gx, gy);
        }
      }
      if (withBox) {
        // Slab intersection with the box.
        let t0 = 0,
          t1 = Number.POSITIVE_INFINITY;
        const lo = [-BOX, -BOX, 0],
          hi = [BOX, BOX, HEIGHT];
        for (let a = 0; a < 3; a++) {
          const inv = 1 / d[a];
          let ta = (lo[a] - o[a]) * inv,
            tb = (hi[a] - o[a]) * inv;
          if (ta > tb) [ta, tb] = [tb, ta];
          t0 = Math.max(t0, ta);
          t1 = Math.min(t1, tb);
        }
        if (t0 <= t1 && t0 < best) {
          best = t0;
          colour = [0.9, 0.1, 0.1];
        }
      }
      rgb.set(colour, 3 * p);
      if (Number.isFinite(best)) {
        depth[p] = best;
        opacity[p] = 1;
      }
    }
  }
  return { camera, rgb, depth, opacity };
}

const SIZE = 96;
const focal = SIZE;
const eyeAt = (azimuth: number): [number, number, number] => [3 * Math.cos(azimuth), 3 * Math.sin(azimuth), 2];

function meanAbsError(a: Float32Array, b: Float32Array, mask?: Uint8Array): number {
  let sum = 0,
    count = 0;
  for (let p = 0; p < a.length / 3; p++) {
    if (mask && !mask[p]) continue;
    for (let c = 0; c < 3; c++) sum += Math.abs(a[3 * p + c] - b[3 * p + c]);
    count += 3;
  }
  return sum / count;
}

test('warping a frame to a nearby pose reproduces the exact frame there where it lands', () => {
  const source = traceScene(lookAtCamera(eyeAt(0), [0, 0, 0], SIZE, SIZE, focal), true);
  const target = lookAtCamera(eyeAt(0.15), [0, 0, 0], SIZE, SIZE, focal);
  const truth = traceScene(target, true);
  const warped = warpDepthFrame(source, target);
  const coveredFraction = warped.covered.reduce((s, v) => s + v, 0) / (SIZE * SIZE);
  const truthHits = truth.opacity.reduce((s, v) => s + v, 0) / (SIZE * SIZE);
  assert.ok(
    coveredFraction > 0.9 * truthHits,
    `covered ${coveredFraction.toFixed(3)} of the image, the scene fills ${truthHits.toFixed(3)}`,
  );
  const error = meanAbsError(warped.rgb, truth.rgb, warped.covered);
  // Against the unwarped source: the warp must be much closer to the truth than showing the stale frame.
  const stale = meanAbsError(source.rgb, truth.rgb, warped.covered);
  assert.ok(error < 0.03, `warped colour error ${error.toFixed(4)}`);
  assert.ok(error < stale / 3, `warped error ${error.toFixed(4)} vs stale frame ${stale.toFixed(4)}`);
});

test('a frame warped to its own pose is itself: no pixel shifts, no silhouette grows', () => {
  const camera = lookAtCamera(eyeAt(0.3), [0, 0, 0], SIZE, SIZE, focal);
  const source = traceScene(camera, true);
  const warped = warpDepthFrame(source, camera);
  let shifted = 0,
    grown = 0;
  for (let p = 0; p < SIZE * SIZE; p++) {
    if (warped.covered[p] && source.opacity[p] < 0.5) grown++;
    if (warped.covered[p] && [0, 1, 2].some((c) => warped.rgb[3 * p + c] !== source.rgb[3 * p + c])) shifted++;
  }
  // A plain z-buffer over 2x2 splats gave each pixel its up-left neighbours' colour wherever one was a hair
  // nearer, and covered a pixel of empty space around every silhouette.
  assert.equal(shifted, 0, `${shifted} pixels took a neighbour's colour`);
  assert.equal(grown, 0, `${grown} empty pixels were covered`);
  assert.equal(
    warped.covered.reduce((s, v) => s + v, 0),
    source.opacity.reduce((s, v) => s + (v >= 0.5 ? 1 : 0), 0),
  );
});

test('wrong depths warp to the wrong place: the check above can fail', () => {
  const source = traceScene(lookAtCamera(eyeAt(0), [0, 0, 0], SIZE, SIZE, focal), true);
  const target = lookAtCamera(eyeAt(0.15), [0, 0, 0], SIZE, SIZE, focal);
  const truth = traceScene(target, true);
  const skewed = { ...source, depth: source.depth.map((d) => d * 1.4) };
  const good = warpDepthFrame(source, target);
  const bad = warpDepthFrame(skewed, target);
  const both = good.covered.map((v, i) => v & bad.covered[i]);
  assert.ok(meanAbsError(bad.rgb, truth.rgb, both) > 2 * meanAbsError(good.rgb, truth.rgb, both));
});

test('disoccluded pixels are left uncovered and filled from the low-resolution render', () => {
  const source = traceScene(lookAtCamera(eyeAt(0), [0, 0, 0], SIZE, SIZE, focal), true);
  const target = lookAtCamera(eyeAt(0.5), [0, 0, 0], SIZE, SIZE, focal);
  const truth = traceScene(target, true);
  const warped = warpDepthFrame(source, target);
  // The ground the box hid from the source is uncovered: some pixels of the target's ground lie in holes.
  let holes = 0;
  for (let p = 0; p < SIZE * SIZE; p++) if (!warped.covered[p] && truth.opacity[p] > 0) holes++;
  assert.ok(holes > 20, `only ${holes} disoccluded pixels`);
  const fill = traceScene(lookAtCamera(eyeAt(0.5), [0, 0, 0], SIZE / 4, SIZE / 4, focal / 4), true);
  const coveredBefore = warped.covered.slice();
  const unfilled = meanAbsError(warped.rgb, truth.rgb);
  const filled = fillWarpHoles(warped, { width: SIZE / 4, height: SIZE / 4, rgb: fill.rgb });
  const holeMask = coveredBefore.map((v) => 1 - v);
  assert.ok(meanAbsError(filled, truth.rgb, holeMask) < 0.15, 'holes are filled close to the truth');
  assert.ok(meanAbsError(filled, truth.rgb) < unfilled / 2);
});

test('a frame whose buffers do not match its camera is refused', () => {
  const camera = lookAtCamera(eyeAt(0), [0, 0, 0], 8, 8, 8);
  assert.throws(
    () => warpDepthFrame({ camera, rgb: new Float32Array(3), depth: new Float32Array(64), opacity: new Float32Array(64) }, camera),
    /depth warp: a 8x8 frame needs 192 colours/,
  );
});
