// The vertex positions of a PLY point cloud (ASCII or binary little-endian), as nerfstudio writes a capture's
// sparse points (ply_file_path in transforms.json).

import { readFileSync } from 'node:fs';
import { DataError } from '@strata/shared';

const SIZES: Record<string, number> = {
  char: 1,
  uchar: 1,
  int8: 1,
  uint8: 1,
  short: 2,
  ushort: 2,
  int16: 2,
  uint16: 2,
  int: 4,
  uint: 4,
  int32: 4,
  uint32: 4,
  float: 4,
  float32: 4,
  double: 8,
  float64: 8,
};

/** xyz per vertex. `field` names where the path came from. */
export function readPlyPoints(path: string, field: string): Float64Array {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (cause) {
    throw new DataError(`${field}: cannot read point cloud ${path} (${(cause as Error).message})`, { cause });
  }
  const end = bytes.indexOf('end_header');
  if (bytes.subarray(0, 3).toString() !== 'ply' || end < 0) throw new DataError(`${field}: ${path} is not a PLY file`);
  const bodyStart = bytes.indexOf('\n', end) + 1;
  const header = bytes.subarray(0, end).toString('latin1').split(/\r?\n/);
  const format = header.find((l) => l.startsWith('format '))?.split(/\s+/)[1];
  let count = -1;
  const props: { name: string; type: string }[] = [];
  let inVertex = false;
  for (const line of header) {
    const w = line.trim().split(/\s+/);
    if (w[0] === 'element') {
      if (inVertex) break;
      inVertex = w[1] === 'vertex';
      if (inVertex) count = Number(w[2]);
      else if (count < 0 && Number(w[2]) > 0) throw new DataError(`${field}: ${path}: elements before the vertices are not supported`);
    } else if (w[0] === 'property' && inVertex) {
      if (w[1] === 'list') throw new DataError(`${field}: ${path}: list properties on vertices are not supported`);
      props.push({ name: w[2], type: w[1] });
    }
  }
  const axes = ['x', 'y', 'z'].map((n) => props.findIndex((p) => p.name === n));
  if (!(count >= 0) || axes.some((a) => a < 0)) throw new DataError(`${field}: ${path}: no vertex element with x, y and z`);
  const out = new Float64Array(3 * count);
  if (format === 'ascii') {
    const rows = bytes.subarray(bodyStart).toString('latin1').split(/\r?\n/);
    for (let v = 0; v < count; v++) {
      const w = (rows[v] ?? '').trim().split(/\s+/);
      for (let a = 0; a < 3; a++) out[3 * v + a] = Number(w[axes[a]]);
    }
  } else if (format === 'binary_little_endian') {
    const offsets: number[] = [];
    let stride = 0;
    for (const p of props) {
      const size = SIZES[p.type];
      if (!size) throw new DataError(`${field}: ${path}: unknown property type ${p.type}`);
      offsets.push(stride);
      stride += size;
    }
    if (bodyStart + stride * count > bytes.length) throw new DataError(`${field}: ${path}: ${count} vertices run past the end of the file`);
    const read = (o: number, type: string): number => {
      if (type === 'double' || type === 'float64') return bytes.readDoubleLE(o);
      return type === 'float' || type === 'float32' ? bytes.readFloatLE(o) : Number.NaN;
    };
    for (let v = 0; v < count; v++) {
      for (let a = 0; a < 3; a++) out[3 * v + a] = read(bodyStart + v * stride + offsets[axes[a]], props[axes[a]].type);
    }
  } else {
    throw new DataError(`${field}: ${path}: PLY format ${format} is not supported (ascii or binary_little_endian)`);
  }
  if (out.some((x) => !Number.isFinite(x))) throw new DataError(`${field}: ${path}: a vertex position is not a finite float`);
  return out;
}
