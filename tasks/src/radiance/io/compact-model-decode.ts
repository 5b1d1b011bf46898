// Reading the compact model file (compact-model-file.ts writes it and says why it is laid out so), apart from
// its writer and from node:zlib so that a browser page bundles it: the brotli decoder is the caller's.

import { DataError, dequantizeInt8, float16ToFloat32 } from '@strata/shared';
import { gridPointCount, validateAabb, type GridGeometry } from '../model/grid-geometry.js';
import { validateMarchSettings, type MarchSettings } from '../model/march-settings.js';
import { VoxelGrid } from '../model/voxel-grid.js';
import type { SavedRadianceModel } from './model-file.js';
import { decodeFileHeader } from './file-header.js';

export const COMPACT_MAGIC = 0x43525453; // "STRC" little-endian
export const COMPACT_FORMAT_VERSION = 1;

export interface CompactHeader {
  geometry: GridGeometry;
  shDegree: number;
  settings: MarchSettings;
  meta: Record<string, unknown>;
  keptPoints: number;
  /** The raw density dropped points decode to. */
  emptyDensity: number;
  keepAlpha: number;
}

export const pad4 = (n: number): number => (n + 3) & ~3;

/**
 * Decodes a compact model to a full grid, its body inflated by `decompress` (brotli, at most `maxLength`
 * bytes: node:zlib in Node, a JavaScript decoder in a browser); `source` names it in error messages.
 */
export function decodeCompactRadianceModelWith(
  bytes: Uint8Array,
  source: string,
  decompress: (packed: Uint8Array, maxLength: number) => Uint8Array,
): SavedRadianceModel {
  const { header, bodyOffset } = decodeFileHeader<CompactHeader>(bytes, source, {
    magic: COMPACT_MAGIC,
    version: COMPACT_FORMAT_VERSION,
    what: 'compact radiance model',
  });
  try {
    validateAabb(header.geometry?.bbox, `${source}: header geometry.bbox`);
    validateMarchSettings(header.settings);
  } catch (cause) {
    throw new DataError(`${source}: bad header (${(cause as Error).message})`, { cause });
  }
  const dims = header.geometry.dims;
  if (!Array.isArray(dims) || dims.length !== 3 || dims.some((d) => !Number.isInteger(d) || d < 2)) {
    throw new DataError(`${source}: header geometry.dims ${JSON.stringify(dims)} must be three integers >= 2`);
  }
  const points = gridPointCount(header.geometry);
  const kept = header.keptPoints;
  if (!Number.isInteger(kept) || kept < 0 || kept > points) {
    throw new DataError(`${source}: header keptPoints ${kept} is not an integer in [0, ${points}]`);
  }
  if (!Number.isFinite(header.emptyDensity)) throw new DataError(`${source}: header emptyDensity ${header.emptyDensity} is not finite`);
  const grid = VoxelGrid.create(header.geometry, header.shDegree);
  const C = grid.channels;
  const maskBytes = pad4(Math.ceil(points / 8));
  const densityBytes = pad4(2 * kept);
  const expected = maskBytes + densityBytes + 4 * kept + C * kept;
  let body: Uint8Array;
  try {
    body = decompress(bytes.subarray(bodyOffset), expected);
  } catch (cause) {
    throw new DataError(`${source}: body cannot be decompressed (${(cause as Error).message})`, { cause });
  }
  if (body.length !== expected) throw new DataError(`${source}: body holds ${body.length} bytes, expected ${expected} for ${kept} points`);
  // A fresh, aligned copy: brotli's output buffer may sit at any offset of a pooled allocation.
  const aligned = new Uint8Array(body);
  const mask = aligned.subarray(0, maskBytes);
  const density = float16ToFloat32(new Uint16Array(aligned.buffer, maskBytes, kept));
  const scales = new Float32Array(aligned.buffer, maskBytes + densityBytes, kept);
  const color = dequantizeInt8(new Int8Array(aligned.buffer, maskBytes + densityBytes + 4 * kept, kept * C), scales, C);
  grid.density.fill(header.emptyDensity);
  let n = 0;
  for (let v = 0; v < points; v++) {
    if ((mask[v >> 3] & (1 << (v & 7))) === 0) continue;
    if (n === kept) throw new DataError(`${source}: the point mask marks more than keptPoints (${kept}) points`);
    grid.density[v] = density[n];
    grid.sh.set(color.subarray(n * C, (n + 1) * C), v * C);
    n++;
  }
  if (n !== kept) throw new DataError(`${source}: the point mask marks ${n} points, header keptPoints ${kept}`);
  return { grid, settings: header.settings, meta: header.meta ?? {} };
}
