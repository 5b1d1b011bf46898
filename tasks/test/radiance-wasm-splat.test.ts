import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  DEFAULT_FAST_SPLAT,
  FULL_SPLAT,
  GaussianRasterizer,
  orbitCamera,
  psnr,
  renderSplatBand,
  type Camera,
  type GaussianCloud,
  type SplatRenderSettings,
} from '../src/radiance/index.js';
import { MIXED_HEIGHT, MIXED_WIDTH, mixedCamera, mixedCloud } from './fixtures/mixed-gaussian-cloud.js';

// The WebAssembly SIMD compositor (wasm-splat-compositor.ts) against the JS fast path it replaces and the full
// render, colour and median depth, on a procedural cloud with a fixed seed; and its fallback, in a separate
// process whose runtime has no WebAssembly (node --jitless).
const WHITE: [number, number, number] = [1, 1, 1];
const JS_FAST: SplatRenderSettings = { ...DEFAULT_FAST_SPLAT, simd: false };

function render(cloud: GaussianCloud, camera: Camera, settings: SplatRenderSettings, rasterizer = new GaussianRasterizer()) {
  const n = camera.width * camera.height;
  const frame = { rgb: new Float32Array(3 * n), depth: new Float32Array(n), opacity: new Float32Array(n) };
  renderSplatBand(rasterizer, cloud, camera, WHITE, { ...settings, tileRowOffset: 0, tileRowStride: 1 }, frame);
  return { frame, composited: rasterizer.composited, simd: rasterizer.simdAvailable };
}

test('the SIMD compositor gives the JS fast path image, median depth and opacity, as close to the full render', () => {
  const cloud = mixedCloud(4000, 21);
  const camera = orbitCamera(1.1, 0.4, 3, 203, 149, 160);
  const simd = render(cloud, camera, DEFAULT_FAST_SPLAT);
  const js = render(cloud, camera, JS_FAST);
  const full = render(cloud, camera, FULL_SPLAT);
  assert.equal(simd.simd, true, 'Node 20 has WebAssembly SIMD: the kernel must have run');
  const n = camera.width * camera.height;
  let covered = 0,
    worstOpacity = 0,
    depthDiffers = 0,
    withDepth = 0;
  for (let p = 0; p < n; p++) {
    if (js.frame.opacity[p] > 0.5) covered++;
    if (js.frame.depth[p] > 0) withDepth++;
    worstOpacity = Math.max(worstOpacity, Math.abs(simd.frame.opacity[p] - js.frame.opacity[p]));
    if (Math.abs(simd.frame.depth[p] - js.frame.depth[p]) > 1e-4 * Math.max(1, js.frame.depth[p])) depthDiffers++;
  }
  assert.ok(covered > 0.1 * n && covered < 0.9 * n, `covered ${covered} of ${n}`);
  assert.ok(withDepth > 0.1 * n, `median depth on ${withDepth} pixels`);
  const db = psnr(simd.frame.rgb, js.frame.rgb);
  assert.ok(db >= 50, `SIMD against the JS fast path: ${db.toFixed(2)} dB`);
  assert.ok(worstOpacity < 1e-2, `opacity differs by up to ${worstOpacity}`);
  // A pixel's median depth jumps to another Gaussian's where f32 rounding moves its T = 0.5 crossing: rare.
  assert.ok(depthDiffers <= 0.002 * n, `median depth differs on ${depthDiffers} of ${n} pixels`);
  assert.ok(Math.abs(simd.composited - js.composited) <= 1e-3 * js.composited, `pairs ${simd.composited} vs ${js.composited}`);
  const simdFull = psnr(simd.frame.rgb, full.frame.rgb),
    jsFull = psnr(js.frame.rgb, full.frame.rgb);
  assert.ok(Math.abs(simdFull - jsFull) < 0.1, `against the full render: SIMD ${simdFull.toFixed(2)} dB, JS ${jsFull.toFixed(2)} dB`);
});

test('a rasterizer whose SIMD memory grows for a larger cloud renders it as a fresh one does', () => {
  const rasterizer = new GaussianRasterizer();
  render(mixedCloud(50, 22), mixedCamera, DEFAULT_FAST_SPLAT, rasterizer);
  const large = mixedCloud(6000, 23);
  const reused = render(large, mixedCamera, DEFAULT_FAST_SPLAT, rasterizer).frame;
  const fresh = render(large, mixedCamera, DEFAULT_FAST_SPLAT).frame;
  assert.deepEqual(reused.rgb, fresh.rgb);
  assert.deepEqual(reused.depth, fresh.depth);
  assert.deepEqual(reused.opacity, fresh.opacity);
});

test('where the runtime has no WebAssembly, a band asking for SIMD gets the JS loop, bit for bit', () => {
  const [count, seed] = [1500, 24];
  const child = fileURLToPath(new URL('./fixtures/splat-band-process.js', import.meta.url));
  const out = execFileSync(process.execPath, ['--jitless', child, String(count), String(seed)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const reply = JSON.parse(out) as { simd: boolean; frame: string };
  assert.equal(reply.simd, false, 'the child process had no WebAssembly');
  const bytes = Buffer.from(reply.frame, 'base64');
  const fallback = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const n = MIXED_WIDTH * MIXED_HEIGHT;
  const js = render(mixedCloud(count, seed), mixedCamera, JS_FAST).frame;
  assert.deepEqual(fallback.subarray(0, 3 * n), js.rgb);
  assert.deepEqual(fallback.subarray(3 * n, 4 * n), js.depth);
  assert.deepEqual(fallback.subarray(4 * n), js.opacity);
  const simd = render(mixedCloud(count, seed), mixedCamera, DEFAULT_FAST_SPLAT).frame;
  assert.notDeepEqual(simd.rgb, js.rgb, 'in this process the SIMD kernel ran (f32 arithmetic differs in the last bits)');
});
