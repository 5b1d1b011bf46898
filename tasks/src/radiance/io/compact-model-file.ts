// The compact model file a device downloads to render locally (after VQRF, Li et al., CVPR 2023): only the
// grid points a render can read are kept, their density as float16 and their colour as int8 with a scale
// per point, and the whole body goes through brotli. A render reads a point only as a corner of an occupied
// cell (a cell with a corner whose alpha exceeds a threshold: the renderer skips the others), so with the
// renderer's own threshold the pruning changes no pixel; a higher `keepAlpha` drops faint cells for a
// smaller file. Dropped points decode to a density below every threshold and colour zero.
//
// Layout: magic "STRC", format version, JSON length (uint32 each, little-endian), the JSON header, then the
// brotli-compressed body: the kept-point bitmask (padded to 4 bytes), densities (float16, padded to 4 bytes),
// colour scales (float32), colour values (int8).

import { brotliCompressSync, brotliDecompressSync, constants as zlib } from 'node:zlib';
import { DataError, dequantizeInt8, float16ToFloat32, float32ToFloat16, quantizeInt8 } from '@strata/shared';
import { gridPointCount, meanVoxelSize, validateAabb, type GridGeometry } from '../model/grid-geometry.js';
import { validateMarchSettings, type MarchSettings } from '../model/march-settings.js';
import { VoxelGrid } from '../model/voxel-grid.js';
import { rawDensityForAlpha } from '../kernels/occupancy.js';
import type { SavedRadianceModel } from './model-file.js';
import { decodeFileHeader, encodeFileHeader } from './file-header.js';

export const COMPACT_MAGIC = 0x43525453; // "STRC" little-endian
const FORMAT_VERSION = 1;

export interface CompactOptions {
  /** Cells whose corners all have alpha below this are dropped (at least the renderer's occupancyAlpha). */
  readonly keepAlpha: number;
}

interface CompactHeader {
  geometry: GridGeometry;
  shDegree: number;
  settings: MarchSettings;
  meta: Record<string, unknown>;
  keptPoints: number;
  /** The raw density dropped points decode to. */
  emptyDensity: number;
  keepAlpha: number;
}

const pad4 = (n: number): number => (n + 3) & ~3;

/** The points a render reads: every corner of a cell with a corner whose alpha exceeds `keepAlpha`. */
export function renderedPoints(grid: VoxelGrid, settings: MarchSettings, keepAlpha: number): Uint8Array {
  const [nx, ny, nz] = grid.geometry.dims;
  const interval = (settings.stepRatio * meanVoxelSize(grid.geometry)) / settings.densityUnit;
  const threshold = rawDensityForAlpha(settings, interval, Math.max(keepAlpha, settings.occupancyAlpha));
  const keep = new Uint8Array(grid.pointCount);
  const sx = ny * nz;
  for (let i = 0; i < nx; i++) {
    for (let j = 0; j < ny; j++) {
      for (let k = 0; k < nz; k++) {
        const v = (i * ny + j) * nz + k;
        if (!(grid.density[v] > threshold)) continue;
        // The up-to-8 cells around the point, and every corner of each: the points within one step.
        for (let a = Math.max(0, i - 1); a <= Math.min(nx - 1, i + 1); a++) {
          for (let b = Math.max(0, j - 1); b <= Math.min(ny - 1, j + 1); b++) {
            const row = a * sx + b * nz;
            for (let c = Math.max(0, k - 1); c <= Math.min(nz - 1, k + 1); c++) keep[row + c] = 1;
          }
        }
      }
    }
  }
  return keep;
}

export function encodeCompactRadianceModel(model: SavedRadianceModel, options: CompactOptions): Uint8Array {
  const { grid, settings } = model;
  const keep = renderedPoints(grid, settings, options.keepAlpha);
  const C = grid.channels;
  let kept = 0;
  let emptyDensity = 0;
  const interval = (settings.stepRatio * meanVoxelSize(grid.geometry)) / settings.densityUnit;
  // Below the renderer's threshold and every dropped point's own value, so no dropped cell becomes occupied.
  emptyDensity = rawDensityForAlpha(settings, interval, settings.occupancyAlpha) - 1;
  for (let v = 0; v < keep.length; v++) {
    if (keep[v]) kept++;
    else emptyDensity = Math.min(emptyDensity, grid.density[v]);
  }
  const density = new Float32Array(kept);
  const color = new Float32Array(kept * C);
  const mask = new Uint8Array(pad4(Math.ceil(keep.length / 8)));
  for (let v = 0, n = 0; v < keep.length; v++) {
    if (!keep[v]) continue;
    mask[v >> 3] |= 1 << (v & 7);
    density[n] = grid.density[v];
    color.set(grid.sh.subarray(v * C, (v + 1) * C), n * C);
    n++;
  }
  const half = float32ToFloat16(density);
  const quantized = quantizeInt8(color, C);
  const body = Buffer.concat([
    mask,
    new Uint8Array(half.buffer, 0, half.byteLength),
    new Uint8Array(pad4(half.byteLength) - half.byteLength),
    new Uint8Array(quantized.scales.buffer, quantized.scales.byteOffset, quantized.scales.byteLength),
    new Uint8Array(quantized.values.buffer, quantized.values.byteOffset, quantized.values.byteLength),
  ]);
  const packed = brotliCompressSync(body, {
    params: { [zlib.BROTLI_PARAM_QUALITY]: 9, [zlib.BROTLI_PARAM_SIZE_HINT]: body.length },
  });
  const header: CompactHeader = {
    geometry: grid.geometry,
    shDegree: grid.shDegree,
    settings,
    meta: model.meta,
    keptPoints: kept,
    emptyDensity,
    keepAlpha: options.keepAlpha,
  };
  return Buffer.concat([encodeFileHeader(COMPACT_MAGIC, FORMAT_VERSION, header), packed]);
}

/** Decodes a compact model to a full grid; `source` names it in error messages. */
export function decodeCompactRadianceModel(bytes: Uint8Array, source: string): SavedRadianceModel {
  const { header, bodyOffset } = decodeFileHeader<CompactHeader>(bytes, source, {
    magic: COMPACT_MAGIC,
    version: FORMAT_VERSION,
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
  let body: Buffer;
  try {
    body = brotliDecompressSync(bytes.subarray(bodyOffset), { maxOutputLength: expected });
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
