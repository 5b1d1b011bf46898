// Reading the compact model file (compact-model-file.ts writes it and says why it is laid out so), apart from
// its writer and from node:zlib so that a browser page bundles it: the brotli decoder is the caller's.

import { DataError, dequantizeInt8, float16ToFloat32 } from '@strata/shared';
import { gridPointCount, validateAabb, type GridGeometry } from '../model/grid-geometry.js';
import { validateMarchSettings, type MarchSettings } from '../model/march-settings.js';
import { VoxelGrid } from '../model/voxel-grid.js';
import type { SavedRadianceModel } from './model-file.js';
import { decodeFileHeader } from './file-header.js';

export const COMPACT_MAGIC = 0x43525453; // "STRC" little-endian
/** The body's colour as int8 with a scale per point. */
export const COMPACT_INT8_VERSION = 1;
/** The body's colour as each point's index into a learned codebook (header `codebookSize` code vectors). */
export const COMPACT_CODEBOOK_VERSION = 2;

export interface CompactHeader {
  geometry: GridGeometry;
  shDegree: number;
  settings: MarchSettings;
  meta: Record<string, unknown>;
  keptPoints: number;
  /** The raw density dropped points decode to. */
  emptyDensity: number;
  keepAlpha: number;
  /** Version 2: the codebook's code vectors. */
  codebookSize?: number;
  /** Version 2: points whose colour is int8 instead of a code (the codebook served them worst). */
  exactPoints?: number;
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
  const { header, version, bodyOffset } = decodeFileHeader<CompactHeader>(bytes, source, {
    magic: COMPACT_MAGIC,
    version: [COMPACT_INT8_VERSION, COMPACT_CODEBOOK_VERSION],
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
  const coded = version === COMPACT_CODEBOOK_VERSION;
  const codes = coded ? Number(header.codebookSize) : 0;
  if (coded && !(Number.isInteger(codes) && codes >= 1 && codes <= 65_536)) {
    throw new DataError(`${source}: header codebookSize ${header.codebookSize} is not an integer in [1, 65536]`);
  }
  const grid = VoxelGrid.create(header.geometry, header.shDegree);
  const C = grid.channels;
  const maskBytes = pad4(Math.ceil(points / 8));
  const densityBytes = pad4(2 * kept);
  const exact = coded ? (header.exactPoints ?? 0) : 0;
  if (!(Number.isInteger(exact) && exact >= 0 && exact <= kept)) {
    throw new DataError(`${source}: header exactPoints ${exact} is not an integer in [0, keptPoints ${kept}]`);
  }
  const colourBytes = coded ? pad4(2 * codes * C) + pad4(2 * kept) + 4 * exact + 4 * exact + C * exact : 4 * kept + C * kept;
  const expected = maskBytes + densityBytes + colourBytes;
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
  const colourAt = maskBytes + densityBytes;
  const color = coded
    ? codebookColour(aligned, colourAt, codes, C, kept, exact, source)
    : dequantizeInt8(new Int8Array(aligned.buffer, colourAt + 4 * kept, kept * C), new Float32Array(aligned.buffer, colourAt, kept), C);
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

/**
 * The kept points' colour of a version 2 body: the float16 codebook at `at`, each point's uint16 index, then the
 * `exact` points' ordinals (uint32, increasing), scales and int8 values, which replace their codes.
 */
function codebookColour(body: Uint8Array, at: number, codes: number, C: number, kept: number, exact: number, source: string): Float32Array {
  const book = float16ToFloat32(new Uint16Array(body.buffer, at, codes * C));
  const indicesAt = at + pad4(2 * codes * C);
  const indices = new Uint16Array(body.buffer, indicesAt, kept);
  const color = new Float32Array(kept * C);
  for (let n = 0; n < kept; n++) {
    const code = indices[n];
    if (code >= codes) throw new DataError(`${source}: point ${n}'s colour index ${code} is outside the codebook of ${codes}`);
    color.set(book.subarray(code * C, (code + 1) * C), n * C);
  }
  const exactAt = indicesAt + pad4(2 * kept);
  const ordinals = new Uint32Array(body.buffer, exactAt, exact);
  const values = dequantizeInt8(
    new Int8Array(body.buffer, exactAt + 8 * exact, exact * C),
    new Float32Array(body.buffer, exactAt + 4 * exact, exact),
    C,
  );
  for (let e = 0; e < exact; e++) {
    const n = ordinals[e];
    if (n >= kept || (e > 0 && n <= ordinals[e - 1])) {
      throw new DataError(`${source}: exact point ${e}'s ordinal ${n} is not increasing within the ${kept} kept points`);
    }
    color.set(values.subarray(e * C, (e + 1) * C), n * C);
  }
  return color;
}
