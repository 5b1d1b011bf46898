// The saved-model file `strata render` reads: a short header (magic "STRF", format version, JSON length),
// a JSON description of the grid and how to march it, then the tensors as a protobuf Model message (the
// wire format's encodeModel), so a saved model and a model on the wire are the same bytes.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { DataError, decodeModel, encodeModel, strata, type ModelParams } from '@strata/shared';
import type { GridGeometry } from '../model/grid-geometry.js';
import { validateAabb } from '../model/grid-geometry.js';
import { validateMarchSettings, type MarchSettings } from '../model/march-settings.js';
import { VoxelGrid } from '../model/voxel-grid.js';
import { COMPACT_MAGIC, decodeCompactRadianceModel } from './compact-model-file.js';
import { decodeFileHeader, encodeFileHeader, fileMagic } from './file-header.js';

const MAGIC = 0x46525453; // "STRF" little-endian
const FORMAT_VERSION = 1;

export interface SavedRadianceModel {
  readonly grid: VoxelGrid;
  readonly settings: MarchSettings;
  /** Free-form provenance (task id, run id, scene). */
  readonly meta: Record<string, unknown>;
}

interface Header {
  geometry: GridGeometry;
  shDegree: number;
  settings: MarchSettings;
  meta: Record<string, unknown>;
}

export function encodeRadianceModel(model: SavedRadianceModel): Uint8Array {
  const header: Header = { geometry: model.grid.geometry, shDegree: model.grid.shDegree, settings: model.settings, meta: model.meta };
  const body = strata.Model.encode(encodeModel(model.grid.toModelParams(), 0, 'float32')).finish();
  return Buffer.concat([encodeFileHeader(MAGIC, FORMAT_VERSION, header), body]);
}

export function saveRadianceModel(path: string, model: SavedRadianceModel): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, encodeRadianceModel(model));
}

/** Decodes a saved model, full or compact (compact-model-file.ts); `source` names it in error messages. */
export function decodeRadianceModel(bytes: Uint8Array, source: string): SavedRadianceModel {
  if (fileMagic(bytes) === COMPACT_MAGIC) return decodeCompactRadianceModel(bytes, source);
  const { header, bodyOffset } = decodeFileHeader<Header>(bytes, source, {
    magic: MAGIC,
    version: FORMAT_VERSION,
    what: 'radiance model file',
  });
  const dims = header.geometry?.dims;
  if (!Array.isArray(dims) || dims.length !== 3 || dims.some((d) => !Number.isInteger(d) || d < 2)) {
    throw new DataError(`${source}: header geometry.dims ${JSON.stringify(dims)} must be three integers >= 2`);
  }
  try {
    validateAabb(header.geometry.bbox, `${source}: header geometry.bbox`);
    validateMarchSettings(header.settings);
  } catch (cause) {
    throw new DataError(`${source}: ${(cause as Error).message}`, { cause });
  }
  let params: ModelParams;
  try {
    params = decodeModel(strata.Model.decode(bytes.subarray(bodyOffset))).params;
  } catch (cause) {
    throw new DataError(`${source}: model tensors cannot be decoded (${(cause as Error).message})`, { cause });
  }
  // Copy out of the file buffer so the grid owns aligned arrays it may train further.
  const owned = new Map([...params].map(([name, t]) => [name, { ...t, values: t.values.slice() }]));
  let grid: VoxelGrid;
  try {
    grid = VoxelGrid.fromModelParams(owned, header.geometry, header.shDegree);
  } catch (cause) {
    throw new DataError(`${source}: ${(cause as Error).message}`, { cause });
  }
  return { grid, settings: header.settings, meta: header.meta ?? {} };
}

export function loadRadianceModel(path: string): SavedRadianceModel {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (cause) {
    throw new DataError(`${path}: cannot read radiance model (${(cause as Error).message})`, { cause });
  }
  return decodeRadianceModel(bytes, path);
}
