import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_FAST_SPLAT,
  FULL_SPLAT,
  type GaussianCloud,
  GaussianRasterizer,
  ProjectedGaussians,
  projectGaussians,
  projectionCamera,
  psnr,
  viewIndependentTerms,
  type SplatRenderSettings,
} from '../src/radiance/index.js';
import { firstBandRow, nextBandRow } from '../src/radiance/kernels/gaussian-rasterizer.js';
import { bandBlock } from '../src/radiance/render/parallel-splat-renderer.js';
import { MIXED_HEIGHT as HEIGHT, MIXED_WIDTH as WIDTH, mixedCamera as camera, mixedCloud } from './fixtures/mixed-gaussian-cloud.js';

// The forward-only band render (what the edge's splat workers run) against a brute-force compositor with the
// same rules, and bands of every stride against the whole frame, with the JS loop and with the WebAssembly
// SIMD compositor (wasm-splat-compositor.ts). A procedural cloud: Gaussians of mixed size, shape, rotation and
// opacity in a ball, seen by a camera whose frame is not a whole number of 8x8 tiles.
const BACKGROUND: [number, number, number] = [1, 1, 1];

/** Both rule sets on both compositors. */
const VARIANTS: [string, SplatRenderSettings][] = [
  ['fast simd', DEFAULT_FAST_SPLAT],
  ['fast js', { ...DEFAULT_FAST_SPLAT, simd: false }],
  ['full js', FULL_SPLAT],
  ['full simd', { ...FULL_SPLAT, simd: true }],
];

function renderBands(cloud: GaussianCloud, settings: SplatRenderSettings, stride: number, block = 1) {
  const n = WIDTH * HEIGHT;
  const frame = { rgb: new Float32Array(3 * n), depth: new Float32Array(n), opacity: new Float32Array(n) };
  const rasterizer = new GaussianRasterizer();
  for (let offset = 0; offset < stride; offset++)
    rasterizer.renderBand(cloud, camera, BACKGROUND, {
      ...settings,
      ...frame,
      tileRowOffset: offset,
      tileRowStride: stride,
      tileRowBlock: block,
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
  for (const [label, settings] of VARIANTS) {
    const { frame, rasterizer } = renderBands(cloud, settings, 1);
    assert.equal(rasterizer.simdAvailable, settings.simd ? true : undefined, `${label}: the compositor asked for`);
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
    assert.ok(db > 50, `${label}: ${db.toFixed(2)} dB against brute force`);
    assert.ok(worstOpacity < 1e-3, `${label}: opacity differs by ${worstOpacity}`);
  }
});

test('bands of tile rows and of blocks of 2 and 3 tile rows, at strides 2 and 3, give the whole frame bit for bit', () => {
  const cloud = mixedCloud(900, 12);
  for (const [label, settings] of VARIANTS) {
    const whole = renderBands(cloud, settings, 1).frame;
    for (const stride of [2, 3])
      for (const block of [1, 2, 3]) {
        const banded = renderBands(cloud, settings, stride, block).frame;
        const what = `${label}: stride ${stride}, block ${block}`;
        assert.deepEqual(banded.rgb, whole.rgb, `${what} rgb`);
        assert.deepEqual(banded.depth, whole.depth, `${what} depth`);
        assert.deepEqual(banded.opacity, whole.opacity, `${what} opacity`);
      }
  }
});

test('a band covers each tile row once: blocks of rows interleaved across the workers', () => {
  for (const [stride, block, tilesY] of [
    [1, 1, 7],
    [2, 1, 9],
    [2, 4, 50],
    [3, 2, 13],
    [4, 3, 10],
  ]) {
    const owner = new Array<number>(tilesY).fill(-1);
    for (let offset = 0; offset < stride; offset++)
      for (let ty = firstBandRow(0, offset, stride, block); ty < tilesY; ty = nextBandRow(ty, stride, block)) {
        assert.equal(owner[ty], -1, `stride ${stride} block ${block}: row ${ty} in two bands`);
        assert.equal(Math.floor(ty / block) % stride, offset, `stride ${stride} block ${block}: row ${ty} in band ${offset}`);
        owner[ty] = offset;
        // Starting anywhere finds the band's next row at or after it.
        for (let from = 0; from <= ty; from++) assert.ok(firstBandRow(from, offset, stride, block) <= ty);
      }
    assert.ok(!owner.includes(-1), `stride ${stride} block ${block}: a row in no band`);
  }
  // A worker's block: up to 4 rows, at least 3 blocks each.
  assert.equal(bandBlock(400, 2), 4);
  assert.equal(bandBlock(100, 2), 2);
  assert.equal(bandBlock(64, 4), 1);
});

test('a band refuses an offset outside its stride and a block that is not a positive integer', () => {
  const cloud = mixedCloud(50, 13);
  const n = WIDTH * HEIGHT;
  const frame = { rgb: new Float32Array(3 * n), depth: new Float32Array(n), opacity: new Float32Array(n) };
  const band = { ...DEFAULT_FAST_SPLAT, ...frame, tileRowOffset: 0, tileRowStride: 2, depthMode: 'median' as const };
  const rasterizer = new GaussianRasterizer();
  assert.throws(() => rasterizer.renderBand(cloud, camera, BACKGROUND, { ...band, tileRowOffset: 2 }), /not a band/);
  assert.throws(() => rasterizer.renderBand(cloud, camera, BACKGROUND, { ...band, tileRowBlock: 0 }), /block of 0 tile rows/);
});

test("a frozen cloud's view-independent terms give the projection computed without them, bit for bit; terms of another cloud are refused", () => {
  const cloud = mixedCloud(700, 14);
  const terms = viewIndependentTerms(cloud);
  const cam = projectionCamera(camera);
  const plain = new ProjectedGaussians(),
    frozen = new ProjectedGaussians();
  projectGaussians(cloud, cam, plain);
  // In two parts, as the render workers project it.
  projectGaussians(cloud, cam, frozen, 0, 300, terms);
  projectGaussians(cloud, cam, frozen, 300, 700, terms);
  let visible = 0;
  for (let i = 0; i < 700; i++) if (plain.radius[i] > 0) visible++;
  assert.ok(visible > 300, `${visible} of 700 visible`);
  for (const field of ['mean2d', 'conic', 'depth', 'radius', 'color', 'opacity', 'colorClamped'] as const)
    assert.deepEqual(frozen[field], plain[field], field);
  assert.throws(
    () => projectGaussians(mixedCloud(10, 1), cam, frozen, 0, 10, terms),
    /view-independent terms of 700 Gaussians for a cloud of 10/,
  );
});
