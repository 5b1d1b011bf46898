import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataError, SeededRandom } from '@strata/shared';
import {
  COMPACT_GAUSSIAN_MAGIC,
  GAUSSIAN_ROTATION,
  GAUSSIAN_SH,
  GAUSSIAN_STRIDE,
  GaussianCloud,
  GaussianRenderer,
  decodeCompactGaussians,
  encodeCompactGaussians,
  orbitCamera,
  psnr,
} from '../src/radiance/index.js';
import { encodeFileHeader } from '../src/radiance/io/file-header.js';

/** 300 Gaussians in a box with random rotations and degree-1 colour, opaque enough to cover the frame. */
function cloudOfDegreeOne(): GaussianCloud {
  const rng = new SeededRandom(7);
  const cloud = GaussianCloud.randomInBox({ min: [-0.6, -0.5, -0.4], max: [0.6, 0.5, 0.4] }, 300, 3, 0.7).withShDegree(1);
  for (let i = 0; i < cloud.count; i++) {
    const row = i * GAUSSIAN_STRIDE;
    for (let k = 0; k < 4; k++) cloud.params[row + GAUSSIAN_ROTATION + k] = rng.next() - 0.5;
    for (let k = 3; k < 12; k++) cloud.params[row + GAUSSIAN_SH + k] = 0.3 * (rng.next() - 0.5);
  }
  return cloud;
}

const camera = orbitCamera(0.4, 0.6, 2.5, 45, 64, 64);
const render = (cloud: GaussianCloud): Float32Array => new GaussianRenderer(cloud, [1, 1, 1]).render(camera).rgb;

test('a compact Gaussian file renders as its cloud to within quantisation (>= 40 dB) in under a third of float32 rows', async () => {
  const cloud = cloudOfDegreeOne();
  const bytes = await encodeCompactGaussians(cloud, { scene: 'box' });
  const { cloud: back, meta } = decodeCompactGaussians(bytes, 'box.strg');
  assert.deepEqual(meta, { scene: 'box' });
  assert.equal(back.count, cloud.count);
  assert.equal(back.shDegree, 1);
  const quality = psnr(render(back), render(cloud));
  assert.ok(quality >= 40, `compact render ${quality.toFixed(2)} dB against the float32 cloud`);
  assert.ok(quality < 200, 'the quantisation changed something: the comparison can fail');
  assert.ok(bytes.length * 3 < cloud.byteLength, `${bytes.length} bytes against ${cloud.byteLength} in float32`);
  const { cloud: empty } = decodeCompactGaussians(await encodeCompactGaussians(new GaussianCloud(0, new Float32Array(0), 2)), 'empty.strg');
  assert.equal(empty.count, 0);
  assert.equal(empty.shDegree, 2);
});

test('a bad compact Gaussian file fails by name: truncated, foreign, or with a header that lies', async () => {
  const cloud = cloudOfDegreeOne();
  const bytes = await encodeCompactGaussians(cloud);
  const fails = (file: Uint8Array, pattern: RegExp) =>
    assert.throws(
      () => decodeCompactGaussians(file, 'scene.strg'),
      (e) => e instanceof DataError && /scene\.strg/.test(e.message) && pattern.test(e.message),
    );
  fails(bytes.subarray(0, bytes.length - 20), /decompressed|bytes/);
  fails(Buffer.from('ply\nformat binary_little_endian 1.0\n'), /not a compact Gaussian model/);
  const jsonLength = new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
  const header = JSON.parse(Buffer.from(bytes.subarray(12, 12 + jsonLength)).toString('utf8'));
  const body = bytes.subarray(12 + jsonLength);
  const withHeader = (changes: Record<string, unknown>) =>
    Buffer.concat([encodeFileHeader(COMPACT_GAUSSIAN_MAGIC, 1, { ...header, ...changes }), body]);
  fails(withHeader({ count: cloud.count + 1 }), /expected/);
  fails(withHeader({ count: -1 }), /count -1/);
  fails(withHeader({ shDegree: 4 }), /shDegree 4/);
  fails(withHeader({ shDegree: 0 }), /expected/);
  fails(withHeader({ min: [0, 0, null] }), /bounding box/);
  fails(withHeader({ min: [1, 1, 1], max: [0, 0, 0] }), /bounding box/);
});
