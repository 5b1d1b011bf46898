import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '@strata/shared';
import {
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
  type Camera,
} from '../src/radiance/index.js';

/**
 * A few wide Gaussians in front of a 24x24 camera: every pixel is well inside every footprint (alpha far
 * above the 1/255 cut, transmittance far above the 1e-4 stop), so the image is smooth in the parameters
 * and finite differences are meaningful.
 */
function smallScene(shDegree: number, seed: number): { cloud: GaussianCloud; camera: Camera } {
  const rng = new SeededRandom(seed);
  const count = 4;
  const params = new Float32Array(count * GAUSSIAN_STRIDE);
  for (let i = 0; i < count; i++) {
    const row = i * GAUSSIAN_STRIDE;
    for (let a = 0; a < 3; a++) {
      params[row + GAUSSIAN_POSITION + a] = 0.15 * (rng.next() - 0.5);
      params[row + GAUSSIAN_LOG_SCALE + a] = Math.log(0.5 + 0.4 * rng.next());
    }
    for (let q = 0; q < 4; q++) params[row + GAUSSIAN_ROTATION + q] = rng.next() - 0.3;
    params[row + GAUSSIAN_OPACITY] = logit(0.2 + 0.3 * rng.next());
    for (let c = 0; c < 3; c++) params[row + GAUSSIAN_SH + c] = (0.3 * rng.next() - 0.1) / SH_C0;
    for (let k = 3; k < 48; k++) params[row + GAUSSIAN_SH + k] = 0.05 * (rng.next() - 0.5);
  }
  // A wide-angle camera 4 units away: Gaussians of scale ~0.7 cover the whole 24x24 image.
  const camera = orbitCamera(0.7, 0.4, 4, 24, 24, 8);
  return { cloud: new GaussianCloud(count, params, shDegree), camera };
}

/** loss = sum(weights * rgb) in float64, so d loss / d rgb = weights. */
function loss(rasterizer: GaussianRasterizer, cloud: GaussianCloud, camera: Camera, weights: Float32Array): number {
  const frame = rasterizer.forward(cloud, camera, [0.2, 0.5, 0.9]);
  let sum = 0;
  for (let j = 0; j < weights.length; j++) sum += weights[j] * frame.rgb[j];
  return sum;
}

function checkGradients(shDegree: number, fields: { name: string; offset: number; width: number }[]): void {
  const { cloud, camera } = smallScene(shDegree, 3);
  const rasterizer = new GaussianRasterizer();
  const rng = new SeededRandom(9);
  const weights = new Float32Array(3 * camera.width * camera.height).map(() => rng.next() - 0.3);
  loss(rasterizer, cloud, camera, weights);
  const grads = new Float32Array(cloud.params.length);
  rasterizer.backward(weights, grads);
  let checked = 0;
  for (let i = 0; i < cloud.count; i++) {
    for (const field of fields) {
      for (let a = 0; a < field.width; a++) {
        const at = i * GAUSSIAN_STRIDE + field.offset + a;
        const eps = 1e-3;
        const keep = cloud.params[at];
        cloud.params[at] = keep + eps;
        const up = loss(rasterizer, cloud, camera, weights);
        cloud.params[at] = keep - eps;
        const down = loss(rasterizer, cloud, camera, weights);
        cloud.params[at] = keep;
        const numeric = (up - down) / (cloud.params[at] + eps - (cloud.params[at] - eps));
        const analytic = grads[at];
        const scale = Math.max(1, Math.abs(numeric), Math.abs(analytic));
        assert.ok(
          Math.abs(numeric - analytic) < 0.02 * scale,
          `gaussian ${i} ${field.name}[${a}]: analytic ${analytic}, finite difference ${numeric}`,
        );
        checked++;
      }
    }
  }
  assert.ok(checked > 0);
}

test('the backward pass matches finite differences for position, scale, rotation, opacity and colour (degree 0)', () => {
  checkGradients(0, [
    { name: 'position', offset: GAUSSIAN_POSITION, width: 3 },
    { name: 'logScale', offset: GAUSSIAN_LOG_SCALE, width: 3 },
    { name: 'rotation', offset: GAUSSIAN_ROTATION, width: 4 },
    { name: 'opacity', offset: GAUSSIAN_OPACITY, width: 1 },
    { name: 'shDc', offset: GAUSSIAN_SH, width: 3 },
  ]);
});

test('the backward pass matches finite differences for all degree-3 SH coefficients, scale and rotation', () => {
  checkGradients(3, [
    { name: 'logScale', offset: GAUSSIAN_LOG_SCALE, width: 3 },
    { name: 'rotation', offset: GAUSSIAN_ROTATION, width: 4 },
    { name: 'opacity', offset: GAUSSIAN_OPACITY, width: 1 },
    { name: 'sh', offset: GAUSSIAN_SH, width: 48 },
  ]);
});

test('an opaque Gaussian in front hides one behind it, and the background shows where there is none', () => {
  const params = new Float32Array(2 * GAUSSIAN_STRIDE);
  const put = (i: number, z: number, rgb: number[]): void => {
    const row = i * GAUSSIAN_STRIDE;
    params[row + GAUSSIAN_POSITION + 2] = z;
    for (let a = 0; a < 3; a++) params[row + GAUSSIAN_LOG_SCALE + a] = Math.log(0.3);
    params[row + GAUSSIAN_ROTATION] = 1;
    params[row + GAUSSIAN_OPACITY] = logit(0.98);
    for (let c = 0; c < 3; c++) params[row + GAUSSIAN_SH + c] = (rgb[c] - 0.5) / SH_C0;
  };
  // The camera looks down from +z: z = 0.5 is nearer than z = 0. The far one is listed first.
  put(0, 0, [0, 0, 1]);
  put(1, 0.5, [1, 0, 0]);
  const camera = orbitCamera(0, Math.PI / 2 - 1e-4, 4, 32, 32, 40);
  const frame = new GaussianRasterizer().forward(new GaussianCloud(2, params, 0), camera, [1, 1, 1]);
  const centre = (16 * 32 + 16) * 3;
  assert.ok(frame.rgb[centre] > 0.9 && frame.rgb[centre + 2] < 0.1, `centre is ${[...frame.rgb.subarray(centre, centre + 3)]}`);
  assert.deepEqual([...frame.rgb.subarray(0, 3)], [1, 1, 1]);
  assert.ok(frame.opacity[16 * 32 + 16] > 0.95);
});
