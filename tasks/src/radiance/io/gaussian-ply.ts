// The standard 3DGS point-cloud files: the .ply layout the reference implementation writes and every splat
// viewer reads (x, y, z, nx, ny, nz, f_dc_0..2, f_rest_* channel-major: 45 at SH degree 3, 24 at 2, 9 at 1, none
// at 0; opacity as a logit, scale_0..2 as logs, rot_0..3 as an unnormalised w-first quaternion, binary
// little-endian float32), and the compact
// .splat layout of antimatter15/splat (32 bytes a splat: position, linear scale, RGBA bytes, rotation bytes).

import { readFileSync, writeFileSync } from 'node:fs';
import { DataError } from '@strata/shared';
import {
  GAUSSIAN_LOG_SCALE,
  GAUSSIAN_OPACITY,
  GAUSSIAN_POSITION,
  GAUSSIAN_ROTATION,
  GAUSSIAN_SH,
  GAUSSIAN_STRIDE,
  GaussianCloud,
  SH_C0,
  sigmoid,
} from '../model/gaussian-cloud.js';

/**
 * The property names of the 3DGS layout for a cloud of SH degree `shDegree`, in file order: the file holds the
 * colour coefficients of the degree in use only (the reference implementation writes its model's degree too).
 */
export function gaussianPlyProperties(shDegree: number): readonly string[] {
  const rest = (shDegree + 1) ** 2 - 1;
  return [
    'x',
    'y',
    'z',
    'nx',
    'ny',
    'nz',
    'f_dc_0',
    'f_dc_1',
    'f_dc_2',
    ...Array.from({ length: 3 * rest }, (_, j) => `f_rest_${j}`),
    'opacity',
    'scale_0',
    'scale_1',
    'scale_2',
    'rot_0',
    'rot_1',
    'rot_2',
    'rot_3',
  ];
}

/** The properties of a degree-3 cloud (the highest degree a cloud holds): the layout's full width. */
export const GAUSSIAN_PLY_PROPERTIES: readonly string[] = gaussianPlyProperties(3);

export function encodeGaussianPly(cloud: GaussianCloud): Uint8Array {
  const properties = gaussianPlyProperties(cloud.shDegree);
  const header =
    `ply\nformat binary_little_endian 1.0\nelement vertex ${cloud.count}\n` +
    properties.map((p) => `property float ${p}\n`).join('') +
    'end_header\n';
  const headerBytes = Buffer.from(header, 'latin1');
  const width = properties.length;
  const body = new Float32Array(cloud.count * width);
  const used = (cloud.shDegree + 1) ** 2;
  const rest = used - 1;
  for (let i = 0; i < cloud.count; i++) {
    const row = i * GAUSSIAN_STRIDE,
      out = i * width;
    const p = cloud.params;
    for (let a = 0; a < 3; a++) body[out + a] = p[row + GAUSSIAN_POSITION + a];
    for (let c = 0; c < 3; c++) body[out + 6 + c] = p[row + GAUSSIAN_SH + c];
    for (let c = 0; c < 3; c++) {
      for (let k = 1; k < used; k++) body[out + 9 + c * rest + (k - 1)] = p[row + GAUSSIAN_SH + 3 * k + c];
    }
    const tail = out + 9 + 3 * rest;
    body[tail] = p[row + GAUSSIAN_OPACITY];
    for (let a = 0; a < 3; a++) body[tail + 1 + a] = p[row + GAUSSIAN_LOG_SCALE + a];
    for (let q = 0; q < 4; q++) body[tail + 4 + q] = p[row + GAUSSIAN_ROTATION + q];
  }
  const bytes = new Uint8Array(headerBytes.length + body.byteLength);
  bytes.set(headerBytes);
  bytes.set(new Uint8Array(body.buffer), headerBytes.length);
  return bytes;
}

/**
 * Reads a 3DGS .ply (float properties in the standard names, any order; f_rest_* may be absent or hold
 * fewer degrees). `source` names the file in errors.
 */
export function decodeGaussianPly(bytes: Uint8Array, source: string): GaussianCloud {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = buffer.indexOf('end_header\n');
  if (buffer.subarray(0, 4).toString('latin1') !== 'ply\n' || end < 0) throw new DataError(`${source}: not a PLY file`);
  const lines = buffer.subarray(0, end).toString('latin1').split('\n');
  if (!lines.includes('format binary_little_endian 1.0')) throw new DataError(`${source}: only binary little-endian PLY is read`);
  const vertex = lines.find((l) => l.startsWith('element vertex '));
  const count = vertex ? Number(vertex.split(' ')[2]) : Number.NaN;
  if (!Number.isInteger(count) || count < 0) throw new DataError(`${source}: no vertex count in the header`);
  const props: string[] = [];
  for (const line of lines) {
    const parts = line.split(' ');
    if (parts[0] !== 'property') continue;
    if (parts[1] !== 'float') throw new DataError(`${source}: property ${parts[2]} is ${parts[1]}; the 3DGS layout is all float`);
    props.push(parts[2]);
  }
  const index = new Map(props.map((p, j) => [p, j]));
  // Every property of a degree-0 cloud but the normals, which renderers ignore.
  const need = gaussianPlyProperties(0).filter((p) => !/^n[xyz]$/.test(p));
  const missing = need.filter((p) => !index.has(p));
  if (missing.length > 0) throw new DataError(`${source}: missing 3DGS properties ${missing.join(', ')}`);
  const restCount = props.filter((p) => p.startsWith('f_rest_')).length;
  const degree = Math.round(Math.sqrt(restCount / 3 + 1)) - 1;
  if (restCount % 3 !== 0 || (degree + 1) ** 2 - 1 !== restCount / 3 || degree > 3) {
    throw new DataError(`${source}: ${restCount} f_rest properties is no spherical-harmonics degree up to 3`);
  }
  const bodyStart = end + 'end_header\n'.length;
  const width = props.length;
  if (buffer.length < bodyStart + count * width * 4) {
    throw new DataError(
      `${source}: ${count} vertices of ${width} floats need ${count * width * 4} bytes, the file has ${buffer.length - bodyStart}`,
    );
  }
  const body = new Float32Array(buffer.buffer.slice(buffer.byteOffset + bodyStart, buffer.byteOffset + bodyStart + count * width * 4));
  const params = new Float32Array(count * GAUSSIAN_STRIDE);
  const perChannel = restCount / 3;
  const at = (name: string): number => index.get(name) as number;
  for (let i = 0; i < count; i++) {
    const row = i * GAUSSIAN_STRIDE,
      src = i * width;
    ['x', 'y', 'z'].forEach((p, a) => (params[row + GAUSSIAN_POSITION + a] = body[src + at(p)]));
    for (let c = 0; c < 3; c++) params[row + GAUSSIAN_SH + c] = body[src + at(`f_dc_${c}`)];
    for (let c = 0; c < 3; c++) {
      for (let k = 1; k <= perChannel; k++) params[row + GAUSSIAN_SH + 3 * k + c] = body[src + at(`f_rest_${c * perChannel + k - 1}`)];
    }
    params[row + GAUSSIAN_OPACITY] = body[src + at('opacity')];
    for (let a = 0; a < 3; a++) params[row + GAUSSIAN_LOG_SCALE + a] = body[src + at(`scale_${a}`)];
    for (let q = 0; q < 4; q++) params[row + GAUSSIAN_ROTATION + q] = body[src + at(`rot_${q}`)];
  }
  for (let j = 0; j < params.length; j++) {
    if (!Number.isFinite(params[j])) throw new DataError(`${source}: Gaussian ${Math.floor(j / GAUSSIAN_STRIDE)} has a non-finite value`);
  }
  return new GaussianCloud(count, params, degree);
}

export function saveGaussianPly(path: string, cloud: GaussianCloud): void {
  writeFileSync(path, encodeGaussianPly(cloud));
}

export function loadGaussianPly(path: string): GaussianCloud {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (cause) {
    throw new DataError(`cannot read Gaussian splat file ${path} (${(cause as Error).message})`, { cause });
  }
  return decodeGaussianPly(bytes, path);
}

/** The .splat layout: 32 bytes a Gaussian, the most visible first (as antimatter15's converter orders them). */
export function encodeGaussianSplat(cloud: GaussianCloud): Uint8Array {
  const p = cloud.params;
  const order = Array.from({ length: cloud.count }, (_, i) => i);
  const weight = (i: number): number => {
    const r = i * GAUSSIAN_STRIDE;
    return (
      -Math.exp(p[r + GAUSSIAN_LOG_SCALE] + p[r + GAUSSIAN_LOG_SCALE + 1] + p[r + GAUSSIAN_LOG_SCALE + 2]) *
      sigmoid(p[r + GAUSSIAN_OPACITY])
    );
  };
  const weights = order.map(weight);
  order.sort((a, b) => weights[a] - weights[b]);
  const out = new ArrayBuffer(32 * cloud.count);
  const floats = new Float32Array(out);
  const bytes = new Uint8Array(out);
  const clampByte = (v: number): number => Math.max(0, Math.min(255, Math.round(v)));
  order.forEach((i, j) => {
    const r = i * GAUSSIAN_STRIDE;
    for (let a = 0; a < 3; a++) {
      floats[8 * j + a] = p[r + GAUSSIAN_POSITION + a];
      floats[8 * j + 3 + a] = Math.exp(p[r + GAUSSIAN_LOG_SCALE + a]);
    }
    for (let c = 0; c < 3; c++) bytes[32 * j + 24 + c] = clampByte((0.5 + SH_C0 * p[r + GAUSSIAN_SH + c]) * 255);
    bytes[32 * j + 27] = clampByte(sigmoid(p[r + GAUSSIAN_OPACITY]) * 255);
    const q = [0, 1, 2, 3].map((k) => p[r + GAUSSIAN_ROTATION + k]);
    const len = Math.hypot(q[0], q[1], q[2], q[3]) || 1;
    for (let k = 0; k < 4; k++) bytes[32 * j + 28 + k] = clampByte((q[k] / len) * 128 + 128);
  });
  return bytes;
}
