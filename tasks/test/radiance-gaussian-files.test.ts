import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataError } from '@strata/shared';
import {
  GAUSSIAN_PLY_PROPERTIES,
  GAUSSIAN_SH,
  GAUSSIAN_STRIDE,
  GaussianCloud,
  GaussianRenderer,
  decodeGaussianPly,
  encodeGaussianPly,
  encodeGaussianSplat,
  loadGaussianPly,
  orbitCamera,
  saveGaussianPly,
} from '../src/radiance/index.js';

function cloudWithSh(): GaussianCloud {
  const cloud = GaussianCloud.randomInBox({ min: [-0.5, -0.5, -0.5], max: [0.5, 0.5, 0.5] }, 50, 4, 0.6).withShDegree(3);
  for (let i = 0; i < cloud.count; i++) {
    for (let k = 3; k < 48; k++) cloud.params[i * GAUSSIAN_STRIDE + GAUSSIAN_SH + k] = 0.01 * ((i * 7 + k) % 11) - 0.05;
  }
  return cloud;
}

test('a cloud written in the 3DGS .ply layout reads back the same and renders the same image', () => {
  const cloud = cloudWithSh();
  const path = join(mkdtempSync(join(tmpdir(), 'strata-gaussians-')), 'point_cloud.ply');
  saveGaussianPly(path, cloud);
  const back = loadGaussianPly(path);
  assert.equal(back.count, cloud.count);
  assert.equal(back.shDegree, 3);
  assert.deepEqual([...back.params], [...cloud.params.subarray(0, cloud.count * GAUSSIAN_STRIDE)]);
  const camera = orbitCamera(0.3, 0.5, 3, 40, 40, 40);
  const a = new GaussianRenderer(cloud, [1, 1, 1]).render(camera);
  const b = new GaussianRenderer(back, [1, 1, 1]).render(camera);
  assert.deepEqual([...b.rgb], [...a.rgb]);
});

test('the .ply header names the standard properties in order, f_rest channel-major', () => {
  const bytes = encodeGaussianPly(cloudWithSh());
  const header = Buffer.from(bytes.subarray(0, 3000)).toString('latin1').split('end_header')[0];
  const names = [...header.matchAll(/property float (\S+)/g)].map((m) => m[1]);
  assert.deepEqual(names, [...GAUSSIAN_PLY_PROPERTIES]);
  assert.equal(names.length, 62);
  assert.equal(names[9], 'f_rest_0');
  assert.equal(names[54], 'opacity');
  assert.match(header, /element vertex 50\n/);
});

test('a lower-degree cloud writes its degree’s coefficients only; a truncated or foreign file fails by name', () => {
  const cloud = cloudWithSh().withShDegree(1);
  const bytes = encodeGaussianPly(cloud);
  const header = Buffer.from(bytes.subarray(0, 3000)).toString('latin1').split('end_header')[0];
  assert.equal([...header.matchAll(/property float f_rest_/g)].length, 9);
  assert.equal(bytes.length - header.length - 'end_header\n'.length, cloud.count * 26 * 4);
  const back = decodeGaussianPly(bytes, 'mem');
  assert.equal(back.shDegree, 1);
  assert.equal(back.params[GAUSSIAN_SH + 3 * 5], 0);
  assert.equal(back.params[GAUSSIAN_SH + 3 * 2], cloud.params[GAUSSIAN_SH + 3 * 2]);
  assert.equal(cloud.byteLength, cloud.count * 23 * 4);
  const camera = orbitCamera(0.3, 0.5, 3, 40, 40, 40);
  assert.deepEqual(
    [...new GaussianRenderer(back, [1, 1, 1]).render(camera).rgb],
    [...new GaussianRenderer(cloud, [1, 1, 1]).render(camera).rgb],
  );
  assert.throws(
    () => decodeGaussianPly(bytes.subarray(0, bytes.length - 10), 'cut.ply'),
    (e) => e instanceof DataError && /cut\.ply/.test(e.message),
  );
  assert.throws(() => decodeGaussianPly(Buffer.from('ply\nformat ascii 1.0\nend_header\n'), 'a.ply'), DataError);
});

test('the .splat layout holds 32 bytes a Gaussian: position, linear scale, RGBA, rotation bytes', () => {
  const cloud = cloudWithSh();
  const bytes = encodeGaussianSplat(cloud);
  assert.equal(bytes.length, 32 * cloud.count);
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const positions = new Set<string>();
  for (let j = 0; j < cloud.count; j++) {
    positions.add([0, 1, 2].map((a) => view.getFloat32(32 * j + 4 * a, true).toFixed(5)).join(','));
    assert.ok(view.getFloat32(32 * j + 12, true) > 0);
    assert.equal(bytes[32 * j + 27], Math.round(0.6 * 255));
  }
  const expected = new Set<string>();
  for (let i = 0; i < cloud.count; i++) {
    expected.add([0, 1, 2].map((a) => cloud.params[i * GAUSSIAN_STRIDE + a].toFixed(5)).join(','));
  }
  assert.deepEqual(positions, expected);
});
