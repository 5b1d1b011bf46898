import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '@strata/shared';
import {
  DEFAULT_FAST_SPLAT,
  FULL_SPLAT,
  GAUSSIAN_LOG_SCALE,
  GAUSSIAN_OPACITY,
  GAUSSIAN_POSITION,
  GAUSSIAN_ROTATION,
  GAUSSIAN_SH,
  GAUSSIAN_STRIDE,
  GaussianCloud,
  GaussianRasterizer,
  SH_C0,
  logit,
  orbitCamera,
  psnr,
  type SplatRenderSettings,
} from '../src/radiance/index.js';

// The forward-only band render (what the edge's splat workers run) against a brute-force compositor with the
// same rules, and bands of every stride against the whole frame. A procedural cloud: Gaussians of mixed size,
// shape, rotation and opacity in a ball, seen by a camera whose frame is not a whole number of 8x8 tiles.
const WIDTH = 76,
  HEIGHT = 58;
const BACKGROUND: [number, number, number] = [1, 1, 1];

function mixedCloud(count: number, seed: number): GaussianCloud {
  const rng = new SeededRandom(seed);
  const params = new Float32Array(count * GAUSSIAN_STRIDE);
  for (let i = 0; i < count; i++) {
    const row = i * GAUSSIAN_STRIDE;
    for (let a = 0; a < 3; a++) {
      params[row + GAUSSIAN_POSITION + a] = 1.2 * (rng.next() - 0.5);
      params[row + GAUSSIAN_LOG_SCALE + a] = Math.log(0.01 + 0.12 * rng.next() ** 2);
      params[row + GAUSSIAN_SH + a] = (rng.next() - 0.5) / SH_C0;
    }
    for (let q = 0; q < 4; q++) params[row + GAUSSIAN_ROTATION + q] = rng.next() - 0.5;
    params[row + GAUSSIAN_OPACITY] = logit(0.05 + 0.9 * rng.next());
  }
  return new GaussianCloud(count, params, 0);
}

const camera = orbitCamera(0.5, 0.3, 3, WIDTH, HEIGHT, 60);

function renderBands(cloud: GaussianCloud, settings: SplatRenderSettings, stride: number) {
  const n = WIDTH * HEIGHT;
  const frame = { rgb: new Float32Array(3 * n), depth: new Float32Array(n), opacity: new Float32Array(n) };
  const rasterizer = new GaussianRasterizer();
  for (let offset = 0; offset < stride; offset++)
    rasterizer.renderBand(cloud, camera, BACKGROUND, {
      ...settings,
      ...frame,
      tileRowOffset: offset,
      tileRowStride: stride,
      depthMode: 'median',
    });
  return { frame, rasterizer };
}

/**
 * Each pixel composites every projected Gaussian within its radius's square, in depth order, by the band's
 * rules (Math.exp where the fast path reads a table): alpha under minAlpha skipped, capped at 0.99, stop before
 * transmittance would fall under 1e-4 and after it falls under stopTransmittance.
 */
function bruteForce(rasterizer: GaussianRasterizer, count: number, settings: SplatRenderSettings) {
  const { mean2d, conic, opacity, color, depth, radius } = rasterizer.projected;
  const order = Array.from({ length: count }, (_, i) => i)
    .filter((i) => radius[i] > 0)
    .sort((a, b) => depth[a] - depth[b] || a - b);
  const rgb = new Float32Array(3 * WIDTH * HEIGHT),
    alphaOut = new Float32Array(WIDTH * HEIGHT);
  for (let y = 0; y < HEIGHT; y++)
    for (let x = 0; x < WIDTH; x++) {
      let T = 1;
      const acc = [0, 0, 0];
      for (const i of order) {
        const u = mean2d[2 * i],
          v = mean2d[2 * i + 1],
          r = radius[i];
        if (x < Math.ceil(u - r - 0.5) || x > Math.floor(u + r - 0.5) || y < Math.ceil(v - r - 0.5) || y > Math.floor(v + r - 0.5))
          continue;
        const dx = u - (x + 0.5),
          dy = v - (y + 0.5);
        const power = -0.5 * (conic[3 * i] * dx * dx + conic[3 * i + 2] * dy * dy) - conic[3 * i + 1] * dx * dy;
        if (power > 0) continue;
        const alpha = Math.min(0.99, opacity[i] * Math.exp(power));
        if (alpha < settings.minAlpha) continue;
        const next = T * (1 - alpha);
        if (next < 1e-4) break;
        for (let c = 0; c < 3; c++) acc[c] += alpha * T * color[3 * i + c];
        T = next;
        if (T < settings.stopTransmittance) break;
      }
      const p = y * WIDTH + x;
      for (let c = 0; c < 3; c++) rgb[3 * p + c] = acc[c] + T * BACKGROUND[c];
      alphaOut[p] = 1 - T;
    }
  return { rgb, opacity: alphaOut };
}

test('the band render (fast and full settings) matches a brute-force compositor with the same rules', () => {
  const count = 1500;
  const cloud = mixedCloud(count, 11);
  for (const settings of [DEFAULT_FAST_SPLAT, FULL_SPLAT]) {
    const { frame, rasterizer } = renderBands(cloud, settings, 1);
    const reference = bruteForce(rasterizer, count, settings);
    let covered = 0,
      worstOpacity = 0;
    for (let p = 0; p < WIDTH * HEIGHT; p++) {
      if (frame.opacity[p] > 0.5) covered++;
      worstOpacity = Math.max(worstOpacity, Math.abs(frame.opacity[p] - reference.opacity[p]));
    }
    // The scene is neither empty nor solid, and the images agree to well past 8 bits.
    assert.ok(covered > 0.15 * WIDTH * HEIGHT && covered < 0.95 * WIDTH * HEIGHT, `covered ${covered}`);
    const db = psnr(frame.rgb, reference.rgb);
    assert.ok(db > 50, `${settings === FULL_SPLAT ? 'full' : 'fast'}: ${db.toFixed(2)} dB against brute force`);
    assert.ok(worstOpacity < 1e-3, `opacity differs by ${worstOpacity}`);
  }
});

test('bands of tile rows at strides 2 and 3 give the whole frame bit for bit', () => {
  const cloud = mixedCloud(900, 12);
  for (const settings of [DEFAULT_FAST_SPLAT, FULL_SPLAT]) {
    const whole = renderBands(cloud, settings, 1).frame;
    for (const stride of [2, 3]) {
      const banded = renderBands(cloud, settings, stride).frame;
      assert.deepEqual(banded.rgb, whole.rgb, `stride ${stride} rgb`);
      assert.deepEqual(banded.depth, whole.depth, `stride ${stride} depth`);
      assert.deepEqual(banded.opacity, whole.opacity, `stride ${stride} opacity`);
    }
  }
});
