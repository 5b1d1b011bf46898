// NumPy's .npy format (version 1 to 3): a magic string, a header dict giving dtype, order and shape, then the
// raw array. Read here for LLFF's poses_bounds.npy; little-endian float32 and float64 in C order only.

import { readFileSync } from 'node:fs';
import { DataError } from '@strata/shared';

export interface NpyArray {
  readonly shape: readonly number[];
  /** Values in C (row-major) order. */
  readonly data: Float64Array;
}

export function readNpy(path: string): NpyArray {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (cause) {
    throw new DataError(`${path}: cannot read (${(cause as Error).message})`, { cause });
  }
  if (bytes.length < 10 || bytes.subarray(0, 6).toString('latin1') !== '\x93NUMPY') throw new DataError(`${path}: not a .npy file`);
  const major = bytes[6];
  const headerLength = major === 1 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = bytes.subarray(start, start + headerLength).toString(major === 3 ? 'utf8' : 'latin1');
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new DataError(`${path}: .npy header ${header.trim()} lacks descr, fortran_order or shape`);
  }
  if (fortran === 'True') throw new DataError(`${path}: Fortran-ordered arrays are not supported`);
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  const count = shape.reduce((n, d) => n * d, 1);
  const size = descr === '<f8' ? 8 : descr === '<f4' ? 4 : 0;
  if (size === 0) throw new DataError(`${path}: dtype ${descr} is not supported (little-endian float32 or float64)`);
  const body = start + headerLength;
  if (bytes.length < body + size * count) {
    throw new DataError(`${path}: shape (${shape.join(', ')}) needs ${size * count} bytes of data, the file has ${bytes.length - body}`);
  }
  const data = new Float64Array(count);
  for (let i = 0; i < count; i++) data[i] = size === 8 ? bytes.readDoubleLE(body + 8 * i) : bytes.readFloatLE(body + 4 * i);
  return { shape, data };
}
