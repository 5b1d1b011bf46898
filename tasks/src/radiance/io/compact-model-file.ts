// The compact model file a device downloads to render locally (after VQRF, Li et al., CVPR 2023): only the
// grid points a render can read are kept, their density as float16 and their colour as int8 with a scale
// per point (format version 1) or as an index into a learned codebook of colour vectors (version 2,
// colour-codebook.ts), and the whole body goes through brotli. A render reads a point only as a corner of an occupied
// cell (a cell with a corner whose alpha exceeds a threshold: the renderer skips the others), so with the
// renderer's own threshold the pruning changes no pixel; a higher `keepAlpha` drops faint cells for a
// smaller file. Dropped points decode to a density below every threshold and colour zero.
//
// Layout: magic "STRC", format version, JSON length (uint32 each, little-endian), the JSON header, then the
// brotli-compressed body: the kept-point bitmask (padded to 4 bytes), densities (float16, padded to 4 bytes),
// then version 1: colour scales (float32), colour values (int8); version 2: the codebook (float16, padded to 4
// bytes), each point's index (uint16, padded to 4 bytes), the exact points' ordinals among the kept (uint32,
// increasing), their colour scales (float32) and values (int8).

import { promisify } from 'node:util';
import { brotliCompress, brotliDecompressSync, constants as zlib } from 'node:zlib';
import { float32ToFloat16, kthSmallestInPlace, quantizeInt8 } from '@strata/shared';
import { DEFAULT_CODEBOOK_OPTIONS, fitColourCodebook } from '../model/colour-codebook.js';
import { meanVoxelSize } from '../model/grid-geometry.js';
import type { MarchSettings } from '../model/march-settings.js';
import type { VoxelGrid } from '../model/voxel-grid.js';
import { alphaOfRawDensity, rawDensityForAlpha } from '../kernels/occupancy.js';
import type { SavedRadianceModel } from './model-file.js';
import { encodeFileHeader } from './file-header.js';
import {
  COMPACT_CODEBOOK_VERSION,
  COMPACT_INT8_VERSION,
  COMPACT_MAGIC,
  decodeCompactRadianceModelWith,
  pad4,
  type CompactHeader,
} from './compact-model-decode.js';

export { COMPACT_MAGIC };

export interface CompactOptions {
  /** Cells whose corners all have alpha below this are dropped (at least the renderer's occupancyAlpha). */
  readonly keepAlpha: number;
  /** Code vectors of a learned colour codebook (at most 65536); absent or 0: int8 colour per point. */
  readonly codebook?: number;
  /** With a codebook: the share of kept points it serves worst, whose colour is kept as int8 instead. */
  readonly codebookExact?: number;
  /** The codebook fit's progress (see CodebookOptions.onProgress). */
  readonly onProgress?: (done: number, total: number) => void;
}

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

const brotliCompressAsync = promisify(brotliCompress);

/**
 * The compact file of `model`. Brotli runs on libuv's thread pool, not on the caller's thread: an edge encodes
 * a lego grid's body (megabytes at quality 9, seconds of CPU) while it keeps serving its devices' sockets.
 */
export async function encodeCompactRadianceModel(model: SavedRadianceModel, options: CompactOptions): Promise<Uint8Array> {
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
  const codebook = options.codebook ?? 0;
  const colour =
    codebook > 0
      ? codebookColour(color, C, shownAlpha(grid, settings, interval, keep, kept), codebook, options.codebookExact ?? 0, options.onProgress)
      : { parts: int8Colour(color, C), exact: 0 };
  const body = Buffer.concat([mask, padded(new Uint8Array(half.buffer, 0, half.byteLength)), ...colour.parts]);
  const packed = await brotliCompressAsync(body, {
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
    ...(codebook > 0 ? { codebookSize: codebook, exactPoints: colour.exact } : {}),
  };
  const version = codebook > 0 ? COMPACT_CODEBOOK_VERSION : COMPACT_INT8_VERSION;
  return Buffer.concat([encodeFileHeader(COMPACT_MAGIC, version, header), packed]);
}

function padded(bytes: Uint8Array): Uint8Array {
  return Buffer.concat([bytes, new Uint8Array(pad4(bytes.byteLength) - bytes.byteLength)]);
}

/** Version 1's colour: a float32 scale per point, then its values as int8. */
function int8Colour(color: Float32Array, C: number): Uint8Array[] {
  const quantized = quantizeInt8(color, C);
  // One scale a point (quantizeInt8 gives an empty array one scale too).
  const scales = quantized.scales.subarray(0, color.length / C);
  return [
    new Uint8Array(scales.buffer, scales.byteOffset, scales.byteLength),
    new Uint8Array(quantized.values.buffer, quantized.values.byteOffset, quantized.values.byteLength),
  ];
}

/**
 * Version 2's colour: a codebook of `size` float16 vectors fitted under each point's weight, each point's index,
 * then the `exactShare` of points the codebook serves worst (alpha times squared error, as VQRF keeps its most
 * important voxels out of the codebook): their ordinals among the kept points and their colour as int8.
 */
function codebookColour(
  color: Float32Array,
  C: number,
  weights: Float32Array,
  size: number,
  exactShare: number,
  onProgress: CompactOptions['onProgress'],
): { parts: Uint8Array[]; exact: number } {
  const { codes, indices } = fitColourCodebook(color, C, weights, { ...DEFAULT_CODEBOOK_OPTIONS, size, onProgress });
  // The header's codebookSize is `size`: a codebook fitted on fewer points than codes is padded with zeros.
  const book = new Float32Array(size * C);
  book.set(codes);
  const half = float32ToFloat16(book);
  const exact = worstServed(color, C, weights, codes, indices, Math.floor(exactShare * weights.length));
  const exactColour = new Float32Array(exact.length * C);
  for (let e = 0; e < exact.length; e++) exactColour.set(color.subarray(exact[e] * C, (exact[e] + 1) * C), e * C);
  return {
    parts: [
      padded(new Uint8Array(half.buffer, 0, half.byteLength)),
      padded(new Uint8Array(indices.buffer, indices.byteOffset, indices.byteLength)),
      new Uint8Array(exact.buffer, exact.byteOffset, exact.byteLength),
      ...int8Colour(exactColour, C),
    ],
    exact: exact.length,
  };
}

/**
 * Each kept point's weight for the codebook: the largest alpha among the points it shares a cell with. A point's
 * colour shows wherever a cell it is a corner of is opaque, through trilinear interpolation, so a faint corner
 * of an opaque cell weighs like the cell (its own alpha would hide it).
 */
function shownAlpha(grid: VoxelGrid, settings: MarchSettings, interval: number, keep: Uint8Array, kept: number): Float32Array {
  const [nx, ny, nz] = grid.geometry.dims;
  const alpha = grid.density.map((raw) => alphaOfRawDensity(settings, interval, raw));
  const weights = new Float32Array(kept);
  let n = 0;
  for (let i = 0; i < nx; i++) {
    for (let j = 0; j < ny; j++) {
      for (let k = 0; k < nz; k++) {
        if (!keep[(i * ny + j) * nz + k]) continue;
        let most = 0;
        for (let a = Math.max(0, i - 1); a <= Math.min(nx - 1, i + 1); a++) {
          for (let b = Math.max(0, j - 1); b <= Math.min(ny - 1, j + 1); b++) {
            for (let c = Math.max(0, k - 1); c <= Math.min(nz - 1, k + 1); c++) most = Math.max(most, alpha[(a * ny + b) * nz + c]);
          }
        }
        weights[n++] = most;
      }
    }
  }
  return weights;
}

/** The ordinals (increasing) of the `count` points with the largest weighted squared error under their codes. */
function worstServed(
  color: Float32Array,
  C: number,
  weights: Float32Array,
  codes: Float32Array,
  indices: Uint16Array,
  count: number,
): Uint32Array {
  if (count <= 0) return new Uint32Array(0);
  const error = new Float64Array(weights.length);
  for (let n = 0; n < weights.length; n++) {
    let sum = 0;
    for (let j = 0; j < C; j++) {
      const d = color[n * C + j] - codes[indices[n] * C + j];
      sum += d * d;
    }
    error[n] = weights[n] * sum;
  }
  const threshold = kthSmallestInPlace(Float64Array.from(error), Math.max(0, error.length - count));
  const picked: number[] = [];
  for (let n = 0; n < error.length && picked.length < count; n++) if (error[n] >= threshold) picked.push(n);
  return Uint32Array.from(picked);
}

/** Decodes a compact model to a full grid; `source` names it in error messages. */
export function decodeCompactRadianceModel(bytes: Uint8Array, source: string): SavedRadianceModel {
  return decodeCompactRadianceModelWith(bytes, source, (packed, maxLength) => brotliDecompressSync(packed, { maxOutputLength: maxLength }));
}
