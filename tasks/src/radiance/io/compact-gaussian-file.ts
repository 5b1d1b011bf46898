// The compact file of a Gaussian cloud, for a device that downloads a model to render it itself (the voxel
// grid's .strc has the same purpose): each attribute quantised to what a render can tell apart, stored by
// attribute (all x, then all y, ...: columns of like numbers compress better than rows of mixed ones), and the
// body through brotli. Positions as uint16 in the cloud's bounding box (1/65535 of its extent), log-scales as
// float16, the rotation normalised (w >= 0, q and -q being one rotation) as int8, opacity as uint8, and the
// colour coefficients of the cloud's SH degree as int8 with a float32 scale per Gaussian.
//
// Layout: magic "STRG", format version, JSON length (uint32 each, little-endian), the JSON header, then the
// brotli-compressed body: positions (uint16, 3 columns), log-scales (float16, 3 columns), rotations (int8,
// 4 columns), opacities (uint8), colour scales (float32), colour values (int8, a Gaussian's coefficients in
// the cloud's row order); each section padded to 4 bytes.

import { promisify } from 'node:util';
import { brotliCompress, brotliDecompressSync, constants as zlib } from 'node:zlib';
import { DataError, dequantizeInt8, float16ToFloat32, float32ToFloat16, quantizeInt8 } from '@strata/shared';
import {
  GAUSSIAN_LOG_SCALE,
  GAUSSIAN_OPACITY,
  GAUSSIAN_POSITION,
  GAUSSIAN_ROTATION,
  GAUSSIAN_SH,
  GAUSSIAN_STRIDE,
  GaussianCloud,
  logit,
  sigmoid,
} from '../model/gaussian-cloud.js';
import { decodeFileHeader, encodeFileHeader } from './file-header.js';

export const COMPACT_GAUSSIAN_MAGIC = 0x47525453; // "STRG" little-endian
export const COMPACT_GAUSSIAN_FORMAT_VERSION = 1;

interface CompactGaussianHeader {
  count: number;
  shDegree: number;
  /** The positions' bounding box: uint16 0 and 65535 stand for min and max on each axis. */
  min: [number, number, number];
  max: [number, number, number];
  meta: Record<string, unknown>;
}

const POSITION_STEPS = 65535;
const pad4 = (n: number): number => (n + 3) & ~3;

/** Byte offsets of the body's sections for `count` Gaussians with `colours` coefficients each. */
function sections(count: number, colours: number) {
  const positions = 0;
  const logScales = positions + pad4(2 * 3 * count);
  const rotations = logScales + pad4(2 * 3 * count);
  const opacities = rotations + pad4(4 * count);
  const colourScales = opacities + pad4(count);
  const colourValues = colourScales + 4 * count;
  const end = colourValues + pad4(colours * count);
  return { positions, logScales, rotations, opacities, colourScales, colourValues, end };
}

/** The number of colour coefficients (3 channels) a cloud of degree `shDegree` renders with. */
const colourCount = (shDegree: number): number => 3 * (shDegree + 1) ** 2;

const brotliCompressAsync = promisify(brotliCompress);

/** The compact file of `cloud`; brotli runs on libuv's thread pool, not on the caller's thread. */
export async function encodeCompactGaussians(cloud: GaussianCloud, meta: Record<string, unknown> = {}): Promise<Uint8Array> {
  const { count, params, shDegree } = cloud;
  const colours = colourCount(shDegree);
  const min: [number, number, number] = count > 0 ? [Infinity, Infinity, Infinity] : [0, 0, 0];
  const max: [number, number, number] = count > 0 ? [-Infinity, -Infinity, -Infinity] : [0, 0, 0];
  for (let i = 0; i < count; i++) {
    for (let a = 0; a < 3; a++) {
      const x = params[i * GAUSSIAN_STRIDE + GAUSSIAN_POSITION + a];
      min[a] = Math.min(min[a], x);
      max[a] = Math.max(max[a], x);
    }
  }
  const at = sections(count, colours);
  const body = new Uint8Array(at.end);
  const positions = new Uint16Array(body.buffer, at.positions, 3 * count);
  const logScales = new Float32Array(3 * count);
  const rotations = new Int8Array(body.buffer, at.rotations, 4 * count);
  const opacities = new Uint8Array(body.buffer, at.opacities, count);
  const colour = new Float32Array(colours * count);
  for (let i = 0; i < count; i++) {
    const row = i * GAUSSIAN_STRIDE;
    for (let a = 0; a < 3; a++) {
      const extent = max[a] - min[a];
      const x = params[row + GAUSSIAN_POSITION + a];
      positions[a * count + i] = extent > 0 ? Math.round(((x - min[a]) / extent) * POSITION_STEPS) : 0;
      logScales[a * count + i] = params[row + GAUSSIAN_LOG_SCALE + a];
    }
    const q = params.subarray(row + GAUSSIAN_ROTATION, row + GAUSSIAN_ROTATION + 4);
    const norm = Math.hypot(q[0], q[1], q[2], q[3]) || 1;
    const sign = q[0] < 0 ? -1 : 1;
    for (let k = 0; k < 4; k++) rotations[k * count + i] = Math.round((127 * sign * q[k]) / norm);
    opacities[i] = Math.round(255 * sigmoid(params[row + GAUSSIAN_OPACITY]));
    colour.set(params.subarray(row + GAUSSIAN_SH, row + GAUSSIAN_SH + colours), i * colours);
  }
  new Uint16Array(body.buffer, at.logScales, 3 * count).set(float32ToFloat16(logScales));
  const quantized = quantizeInt8(colour, colours);
  new Float32Array(body.buffer, at.colourScales, count).set(quantized.scales.subarray(0, count));
  new Int8Array(body.buffer, at.colourValues, colours * count).set(quantized.values);
  const packed = await brotliCompressAsync(body, {
    params: { [zlib.BROTLI_PARAM_QUALITY]: 9, [zlib.BROTLI_PARAM_SIZE_HINT]: body.length },
  });
  const header: CompactGaussianHeader = { count, shDegree, min, max, meta };
  return Buffer.concat([encodeFileHeader(COMPACT_GAUSSIAN_MAGIC, COMPACT_GAUSSIAN_FORMAT_VERSION, header), packed]);
}

/** Decodes a compact Gaussian file (`source` names it in error messages); throws DataError on a bad file. */
export function decodeCompactGaussians(bytes: Uint8Array, source: string): GaussianCloud {
  const { header, bodyOffset } = decodeFileHeader<CompactGaussianHeader>(bytes, source, {
    magic: COMPACT_GAUSSIAN_MAGIC,
    version: COMPACT_GAUSSIAN_FORMAT_VERSION,
    what: 'compact Gaussian model',
  });
  const { count, shDegree, min, max } = header;
  if (!Number.isInteger(count) || count < 0 || count > 2 ** 26) {
    throw new DataError(`${source}: header count ${count} is not an integer in [0, 2^26]`);
  }
  if (!Number.isInteger(shDegree) || shDegree < 0 || shDegree > 3) {
    throw new DataError(`${source}: header shDegree ${shDegree} is not an integer in [0, 3]`);
  }
  const box = [min, max];
  if (box.some((v) => !Array.isArray(v) || v.length !== 3 || v.some((x) => !Number.isFinite(x))) || min.some((x, a) => x > max[a])) {
    throw new DataError(`${source}: header bounding box ${JSON.stringify(box)} is not two finite points with min <= max`);
  }
  const colours = colourCount(shDegree);
  const at = sections(count, colours);
  let body: Uint8Array;
  try {
    body = brotliDecompressSync(bytes.subarray(bodyOffset), { maxOutputLength: Math.max(1, at.end) });
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new DataError(`${source}: body holds more than the ${at.end} bytes expected for ${count} Gaussians`, { cause });
    }
    throw new DataError(`${source}: body cannot be decompressed (${(cause as Error).message})`, { cause });
  }
  if (body.length !== at.end) throw new DataError(`${source}: body holds ${body.length} bytes, expected ${at.end} for ${count} Gaussians`);
  // A fresh, aligned copy: brotli's output may sit at any offset of a pooled allocation.
  const aligned = new Uint8Array(body).buffer;
  const positions = new Uint16Array(aligned, at.positions, 3 * count);
  const logScales = float16ToFloat32(new Uint16Array(aligned, at.logScales, 3 * count));
  const rotations = new Int8Array(aligned, at.rotations, 4 * count);
  const opacities = new Uint8Array(aligned, at.opacities, count);
  const scales = new Float32Array(aligned, at.colourScales, count);
  const colour = dequantizeInt8(new Int8Array(aligned, at.colourValues, colours * count), scales, colours);
  const params = new Float32Array(count * GAUSSIAN_STRIDE);
  for (let i = 0; i < count; i++) {
    const row = i * GAUSSIAN_STRIDE;
    for (let a = 0; a < 3; a++) {
      params[row + GAUSSIAN_POSITION + a] = min[a] + (positions[a * count + i] / POSITION_STEPS) * (max[a] - min[a]);
      const logScale = logScales[a * count + i];
      if (!Number.isFinite(logScale)) throw new DataError(`${source}: Gaussian ${i} has log-scale ${logScale}`);
      params[row + GAUSSIAN_LOG_SCALE + a] = logScale;
    }
    let squares = 0;
    for (let k = 0; k < 4; k++) {
      const r = rotations[k * count + i];
      params[row + GAUSSIAN_ROTATION + k] = r / 127;
      squares += r * r;
    }
    if (squares === 0) throw new DataError(`${source}: Gaussian ${i} has a zero rotation quaternion`);
    // Opacity 0 and 1 have no logit: half a step inside keeps the decoded value finite and within rounding.
    params[row + GAUSSIAN_OPACITY] = logit(Math.min(254.5, Math.max(0.5, opacities[i])) / 255);
    if (!Number.isFinite(scales[i]) || scales[i] < 0) throw new DataError(`${source}: Gaussian ${i} has colour scale ${scales[i]}`);
    params.set(colour.subarray(i * colours, (i + 1) * colours), row + GAUSSIAN_SH);
  }
  return new GaussianCloud(count, params, shDegree);
}
