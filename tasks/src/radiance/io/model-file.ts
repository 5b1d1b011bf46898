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
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const body = strata.Model.encode(encodeModel(model.grid.toModelParams(), 0, 'float32')).finish();
  const prefix = new Uint32Array([MAGIC, FORMAT_VERSION, json.length]);
  return Buffer.concat([Buffer.from(prefix.buffer), json, body]);
}

export function saveRadianceModel(path: string, model: SavedRadianceModel): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, encodeRadianceModel(model));
}

/** Decodes a saved model, full or compact (compact-model-file.ts); `source` names it in error messages. */
export function decodeRadianceModel(bytes: Uint8Array, source: string): SavedRadianceModel {
  if (bytes.length < 12) throw new DataError(`${source}: ${bytes.length} bytes is too short for a radiance model file`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, true),
    version = view.getUint32(4, true),
    jsonLength = view.getUint32(8, true);
  if (magic === COMPACT_MAGIC) return decodeCompactRadianceModel(bytes, source);
  if (magic !== MAGIC) throw new DataError(`${source}: not a radiance model file (magic 0x${magic.toString(16)})`);
  if (version !== FORMAT_VERSION) throw new DataError(`${source}: format version ${version}; this build reads ${FORMAT_VERSION}`);
  if (12 + jsonLength > bytes.length) throw new DataError(`${source}: header length ${jsonLength} runs past the end of the file`);
  let header: Header;
  try {
    header = JSON.parse(Buffer.from(bytes.subarray(12, 12 + jsonLength)).toString('utf8')) as Header;
  } catch (cause) {
    throw new DataError(`${source}: header is not valid JSON`, { cause });
  }
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
    params = decodeModel(strata.Model.decode(bytes.subarray(12 + jsonLength))).params;
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
