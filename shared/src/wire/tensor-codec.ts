// Converts between the in-memory tensors of the federated core (DenseTensor, SparseRows) and the protobuf
// Tensor message: little-endian bytes as float32, float16 or symmetric int8 (a scale per tensor or per row).
// Per-row int8 sends rows of fewer than 4 values as bfloat16 instead (2 bytes a value against 1 byte and a
// 4-byte scale a row). Sparse rows are named by uint32 indices or by a bitmask of the tensor's rows, whichever
// is smaller. A dense tensor may go top-k sparsified: only its largest-magnitude elements, with their flat
// indices; it decodes to a dense tensor that is zero elsewhere.
// encodeTensorForFrame gives the same message with its float16 and int8 payloads deferred: computed by the
// frame writer straight into the frame (deferred-bytes.ts), not into arrays of their own that it then copies.
// Decoding checks every length, index and scale against the shape, and views float32/uint32 payloads in
// place when the frame allows it.

import { ConfigError, InvalidUpdateError, StrataError, WireFormatError } from '../errors.js';
import { elementCount, rowSize, type DenseTensor, type SparseRows, type TensorValue } from '../fl/model.js';
import { float32View, int8View, LITTLE_ENDIAN_HOST, littleEndianBytes, uint16View, uint32View } from './byte-order.js';
import { bfloat16ToFloat32, float32ToBfloat16 } from './bfloat16.js';
import { DeferredBytes, deferredField, writtenBytes } from './deferred-bytes.js';
import { denseFromElements } from './dense-from-elements.js';
import { float16ToFloat32, float32ToFloat16 } from './float16.js';
import { strata } from './generated/strata.js';
import { dequantizeInt8, int8Groups, quantizeInt8 } from './int8-quantization.js';
import { topK } from './top-k-selection.js';
import { uninitializedArray } from './uninitialized-bytes.js';
import { wireLimits, type WireLimits } from './wire-limits.js';

export type WireDType = 'float32' | 'float16' | 'int8';

export interface TensorEncoding {
  readonly dtype: WireDType;
  /**
   * int8 only: one scale per row (first axis) instead of one per tensor. Applies to tensors of rank 2 and
   * more; a rank-1 tensor (a bias) always gets one scale. Rows of fewer than 4 values then travel as
   * bfloat16 without scales (smaller: 8 significant bits a value, in float32's range).
   */
  readonly perRowScale?: boolean;
  /**
   * Dense tensors only: send the ceil(fraction * elements) of largest magnitude (at least one) with their
   * indices, in `dtype` (int8: one scale); 1 or absent sends every element. Sparse rows are sent whole.
   */
  readonly topKFraction?: number;
}

export interface NamedTensor {
  readonly name: string;
  readonly value: TensorValue;
}

const WIRE_DTYPES: readonly WireDType[] = ['float32', 'float16', 'int8'];
/** What a payload travels as: an encoding's dtype, or bfloat16 for the narrow rows of per-row int8. */
type PayloadDType = WireDType | 'bfloat16';

const DTYPES: Record<PayloadDType, strata.DType> = {
  float32: strata.DType.FLOAT32,
  float16: strata.DType.FLOAT16,
  int8: strata.DType.INT8,
  bfloat16: strata.DType.BFLOAT16,
};
const BYTES_PER_VALUE: Record<strata.DType, number> = {
  [strata.DType.FLOAT32]: 4,
  [strata.DType.FLOAT16]: 2,
  [strata.DType.INT8]: 1,
  [strata.DType.BFLOAT16]: 2,
};
const DTYPE_NAMES: Record<strata.DType, PayloadDType> = {
  [strata.DType.FLOAT32]: 'float32',
  [strata.DType.FLOAT16]: 'float16',
  [strata.DType.INT8]: 'int8',
  [strata.DType.BFLOAT16]: 'bfloat16',
};
/**
 * Per-row int8 sends rows narrower than this as bfloat16: a row of w values costs w bytes and a 4-byte scale
 * as int8, 2w bytes as bfloat16 (1, 2 and 3 values: 5, 6 and 7 bytes against 2, 4 and 6; 4 values tie).
 */
const BFLOAT16_BELOW_ROW_SIZE = 4;
const EMPTY = new Uint8Array(0);

/** The Tensor message for `value`. A float32 payload is a view of `value`'s memory (on little-endian hosts). */
export function encodeTensor(name: string, value: TensorValue, encoding: TensorEncoding): strata.ITensor {
  return tensorMessage(name, value, encoding, setValues);
}

/**
 * encodeTensor's message with its float16 and int8 payloads (data, and int8 scales) left for the frame
 * writer to compute in place (on a little-endian host): pass it (inside its envelope) straight to encodeEnvelope, and read its payloads
 * afterwards only through writtenTensor. The frame is byte for byte the one encodeTensor's message gives.
 */
export function encodeTensorForFrame(name: string, value: TensorValue, encoding: TensorEncoding): strata.ITensor {
  return tensorMessage(name, value, encoding, LITTLE_ENDIAN_HOST ? setDeferredValues : setValues);
}

/** A message of encodeTensorForFrame after its frame was written: its payloads as views of the frame. */
export function writtenTensor(message: strata.ITensor): strata.ITensor {
  return { ...message, data: writtenBytes(message.data), scales: writtenBytes(message.scales) };
}

type ValueSetter = (message: strata.ITensor, values: Float32Array, dtype: PayloadDType, groupSize: number) => void;

function tensorMessage(name: string, value: TensorValue, encoding: TensorEncoding, setValues: ValueSetter): strata.ITensor {
  checkTensorValue(name, value);
  if (!WIRE_DTYPES.includes(encoding.dtype)) {
    throw new RangeError(`tensor '${name}': unknown dtype '${encoding.dtype}'`);
  }
  const fraction = encoding.topKFraction ?? 1;
  if (!(fraction > 0 && fraction <= 1)) {
    throw new ConfigError(`tensor '${name}': top-k fraction ${fraction} is not in (0, 1]`);
  }
  if (value.kind === 'dense' && fraction < 1) {
    const { indices, values: picked } = topK(value.values, Math.max(1, Math.ceil(fraction * value.values.length)));
    const message: strata.ITensor = { name, shape: [...value.shape], dtype: DTYPES[encoding.dtype] };
    setValues(message, picked, encoding.dtype, picked.length);
    message.elementIndices = littleEndianBytes(indices);
    return message;
  }
  const perRow = encoding.perRowScale === true && value.shape.length >= 2;
  const width = rowSize(value.shape);
  const dtype: PayloadDType = encoding.dtype === 'int8' && perRow && width < BFLOAT16_BELOW_ROW_SIZE ? 'bfloat16' : encoding.dtype;
  const message: strata.ITensor = { name, shape: [...value.shape], dtype: DTYPES[dtype] };
  setValues(message, value.values, dtype, perRow ? width : value.values.length);
  if (value.kind === 'sparse') {
    message.sparse = true;
    const rowCount = value.shape[0];
    // The bitmask from about one row in 32 sent; indices on a tie (and for no rows at all).
    if (Math.ceil(rowCount / 8) < 4 * value.rows.length) message.rowMask = rowMask(value.rows, rowCount);
    else message.rowIndices = littleEndianBytes(value.rows);
    if (value.rowWeights) message.rowWeights = littleEndianBytes(value.rowWeights);
    if (value.zeroRows && value.zeroRows.length > 0) {
      message.zeroRowMask = rowMask(value.zeroRows, value.shape[0]);
      if (value.zeroRowWeights) message.zeroRowWeights = littleEndianBytes(value.zeroRowWeights);
    }
  }
  return message;
}

/** Sets the message's data (and int8 scales, one per `groupSize` values) for `values` in `dtype`. */
function setValues(message: strata.ITensor, values: Float32Array, dtype: PayloadDType, groupSize: number): void {
  if (dtype === 'float32') {
    message.data = littleEndianBytes(values);
  } else if (dtype === 'float16') {
    message.data = littleEndianBytes(float32ToFloat16(values));
  } else if (dtype === 'bfloat16') {
    message.data = littleEndianBytes(float32ToBfloat16(values));
  } else {
    const quantized = quantizeInt8(values, groupSize);
    message.data = littleEndianBytes(quantized.values);
    message.scales = littleEndianBytes(quantized.scales);
  }
}

/**
 * setValues with the float16 or int8 payload deferred to the frame writer (little-endian hosts): the kernels
 * write into the frame. data comes before scales in the message, so the int8 scales are computed when data
 * is written.
 */
function setDeferredValues(message: strata.ITensor, values: Float32Array, dtype: PayloadDType, groupSize: number): void {
  if (dtype === 'float32' || dtype === 'bfloat16' || values.length === 0) {
    // float32 payloads are views of the values already; bfloat16 ones are narrow rows, converted here by a
    // plain loop (small); an empty data field is not written at all, which would leave the int8 scales of an
    // empty sparse tensor uncomputed.
    setValues(message, values, dtype, groupSize);
  } else if (dtype === 'float16') {
    message.data = deferredField(
      new DeferredBytes(values.length * 2, (target) => {
        if (target.byteOffset % 2 === 0) float32ToFloat16(values, new Uint16Array(target.buffer, target.byteOffset, values.length));
        else target.set(littleEndianBytes(float32ToFloat16(values)));
      }),
    );
  } else {
    const scales = uninitializedArray(Float32Array, int8Groups(values.length, groupSize));
    let quantized = false;
    message.data = deferredField(
      new DeferredBytes(values.length, (target) => {
        quantizeInt8(values, groupSize, { values: int8View(target), scales });
        quantized = true;
      }),
    );
    message.scales = deferredField(
      new DeferredBytes(scales.byteLength, (target) => {
        if (!quantized) throw new StrataError('STRATA_ERR_INTERNAL', 'tensor encoding: int8 scales written before their data');
        target.set(littleEndianBytes(scales));
      }),
    );
  }
}

/** The tensor a Tensor message holds, after checking it; throws WireFormatError naming what is wrong. */
export function decodeTensor(message: strata.ITensor, limits: Partial<WireLimits> = {}): NamedTensor {
  return decodeCheckedTensor(message, wireLimits(limits));
}

/**
 * Decodes a list of Tensor messages (a model's or an update's), requiring names that are present and
 * unique. `what` names the list in error messages.
 */
export function decodeTensorList(messages: readonly strata.ITensor[] | null | undefined, limits: WireLimits, what: string): NamedTensor[] {
  const seen = new Set<string>();
  return (messages ?? []).map((message, i) => {
    const name = message.name ?? '';
    if (name === '') throw new WireFormatError(`${what}: tensor #${i} has no name`);
    if (seen.has(name)) throw new WireFormatError(`${what}: tensor '${name}' appears twice`);
    seen.add(name);
    return decodeCheckedTensor(message, limits);
  });
}

function decodeCheckedTensor(message: strata.ITensor, limits: WireLimits): NamedTensor {
  const name = message.name ?? '';
  if (name === '') throw new WireFormatError('tensor has no name');
  const where = `tensor '${name}'`;
  const dtype = message.dtype ?? strata.DType.FLOAT32;
  const width = BYTES_PER_VALUE[dtype];
  if (width === undefined) throw new WireFormatError(`${where}: unknown dtype ${dtype}`);
  const shape = checkShape(message.shape ?? [], limits, where);
  const data = message.data ?? EMPTY;
  const scales = message.scales ?? EMPTY;
  const rowIndices = message.rowIndices ?? EMPTY;
  const rowMaskBytes = message.rowMask ?? EMPTY;
  const rowWeights = message.rowWeights ?? EMPTY;
  const zeroRowMask = message.zeroRowMask ?? EMPTY;
  const zeroRowWeights = message.zeroRowWeights ?? EMPTY;
  const elementIndices = message.elementIndices ?? EMPTY;
  const sparse = message.sparse === true;
  let perRow = rowSize(shape);

  let rows: Uint32Array | undefined;
  let elements: Uint32Array | undefined;
  let rowsInPayload = shape[0];
  if (elementIndices.length > 0) {
    if (sparse) throw new WireFormatError(`${where}: element_indices given (${elementIndices.length} bytes) on a sparse tensor`);
    elements = uint32View(elementIndices, `${where} element_indices`);
    checkIndices(elements, elementCount(shape), where, 'element');
    // The payload is one group of the listed elements: one int8 scale for all of them.
    rowsInPayload = 1;
    perRow = elements.length;
  }
  if (sparse && rowMaskBytes.length > 0) {
    if (rowIndices.length > 0) {
      throw new WireFormatError(
        `${where}: both row_indices (${rowIndices.length} bytes) and row_mask (${rowMaskBytes.length} bytes) given, at most one may be`,
      );
    }
    rows = maskRows(rowMaskBytes, shape[0], where, 'row_mask');
    rowsInPayload = rows.length;
  } else if (sparse) {
    rows = uint32View(rowIndices, `${where} row_indices`);
    checkIndices(rows, shape[0], where, 'row');
    rowsInPayload = rows.length;
  } else if (rowIndices.length > 0) {
    throw new WireFormatError(`${where}: row_indices given (${rowIndices.length} bytes) but the tensor is not sparse`);
  } else if (rowMaskBytes.length > 0) {
    throw new WireFormatError(`${where}: row_mask given (${rowMaskBytes.length} bytes) but the tensor is not sparse`);
  }
  if ((zeroRowMask.length > 0 || zeroRowWeights.length > 0) && !sparse) {
    throw new WireFormatError(`${where}: zero_row_mask or zero_row_weights given on a dense tensor, which cannot carry them`);
  }
  if (rowWeights.length > 0 && !sparse) {
    throw new WireFormatError(`${where}: row_weights given (${rowWeights.length} bytes) on a dense tensor, which cannot carry them`);
  }
  const count = rowsInPayload * perRow;
  if (data.length !== count * width) {
    const layout = elements
      ? `${elements.length} top-k elements`
      : sparse
        ? `${rowsInPayload} rows ${rowMaskBytes.length > 0 ? 'set in row_mask ' : ''}of shape [${shape.join(', ')}]`
        : `shape [${shape.join(', ')}]`;
    throw new WireFormatError(`${where}: data has ${data.length} bytes, expected ${count * width} (${layout} as ${DTYPE_NAMES[dtype]})`);
  }

  let values: Float32Array;
  if (dtype === strata.DType.FLOAT32) {
    if (scales.length > 0) throw new WireFormatError(`${where}: scales given (${scales.length} bytes) for a float32 tensor`);
    values = float32View(data, `${where} data`);
  } else if (dtype === strata.DType.FLOAT16) {
    if (scales.length > 0) throw new WireFormatError(`${where}: scales given (${scales.length} bytes) for a float16 tensor`);
    values = float16ToFloat32(uint16View(data, `${where} data`));
  } else if (dtype === strata.DType.BFLOAT16) {
    if (scales.length > 0) throw new WireFormatError(`${where}: scales given (${scales.length} bytes) for a bfloat16 tensor`);
    values = bfloat16ToFloat32(uint16View(data, `${where} data`));
  } else {
    const scaleValues = float32View(scales, `${where} scales`);
    if (scaleValues.length !== 1 && scaleValues.length !== rowsInPayload) {
      throw new WireFormatError(`${where}: scales has ${scaleValues.length} values, expected 1 (per tensor) or ${rowsInPayload} (per row)`);
    }
    values = dequantizeInt8(int8View(data), scaleValues, scaleValues.length === 1 ? count : perRow);
  }

  if (elements) {
    const dense = denseFromElements(elementCount(shape), elements, values);
    return { name, value: { kind: 'dense', shape, values: dense } satisfies DenseTensor };
  }
  if (!rows) return { name, value: { kind: 'dense', shape, values } satisfies DenseTensor };
  let weights: Float32Array | undefined;
  if (rowWeights.length > 0) {
    weights = float32View(rowWeights, `${where} row_weights`);
    if (weights.length !== rows.length) {
      throw new WireFormatError(`${where}: row_weights has ${weights.length} values for ${rows.length} rows`);
    }
  }
  const value: SparseRows = weights
    ? { kind: 'sparse', shape, rows, values, rowWeights: weights }
    : { kind: 'sparse', shape, rows, values };
  if (zeroRowMask.length === 0) {
    if (zeroRowWeights.length > 0) throw new WireFormatError(`${where}: zero_row_weights given without zero_row_mask`);
    return { name, value };
  }
  const zeroRows = maskRows(zeroRowMask, shape[0], where, 'zero_row_mask');
  checkNotSent(zeroRows, value.rows, where, rowMaskBytes.length > 0 ? 'row_mask' : 'row_indices');
  if (zeroRowWeights.length > 0 !== Boolean(weights)) {
    throw new WireFormatError(`${where}: zero_row_weights must be given exactly when row_weights are`);
  }
  if (!weights) return { name, value: { ...value, zeroRows } };
  const zeroWeights = float32View(zeroRowWeights, `${where} zero_row_weights`);
  if (zeroWeights.length !== zeroRows.length) {
    throw new WireFormatError(`${where}: zero_row_weights has ${zeroWeights.length} values for ${zeroRows.length} zero rows`);
  }
  return { name, value: { ...value, zeroRows, zeroRowWeights: zeroWeights } };
}

/** A bitmask of `rowCount` bits (bit r: byte r >> 3, bit r & 7) with the bits of `rows` set. */
function rowMask(rows: Uint32Array, rowCount: number): Uint8Array {
  const mask = new Uint8Array(Math.ceil(rowCount / 8));
  for (let i = 0; i < rows.length; i++) mask[rows[i] >> 3] |= 1 << (rows[i] & 7);
  return mask;
}

/**
 * The rows a row bitmask (`field`: row_mask or zero_row_mask) sets, in increasing order, after checking it:
 * ceil(rowCount / 8) bytes, no bit past `rowCount`.
 */
function maskRows(mask: Uint8Array, rowCount: number, where: string, field: 'row_mask' | 'zero_row_mask'): Uint32Array {
  const bytes = Math.ceil(rowCount / 8);
  if (mask.length !== bytes)
    throw new WireFormatError(`${where}: ${field} has ${mask.length} bytes, expected ${bytes} for ${rowCount} rows`);
  if (rowCount % 8 !== 0 && mask[bytes - 1] >> (rowCount % 8) !== 0) {
    throw new WireFormatError(`${where}: ${field} sets a row past the last (${rowCount - 1})`);
  }
  let count = 0;
  for (let i = 0; i < mask.length; i++) count += BITS_SET[mask[i]];
  const rows = new Uint32Array(count);
  let k = 0;
  for (let i = 0; i < mask.length; i++) {
    let byte = mask[i];
    while (byte !== 0) {
      const bit = 31 - Math.clz32(byte & -byte);
      rows[k++] = i * 8 + bit;
      byte &= byte - 1;
    }
  }
  return rows;
}

/** Throws unless no row of `zeroRows` is also in `sent` (both strictly increasing; `sentIn` names the field). */
function checkNotSent(zeroRows: Uint32Array, sent: Uint32Array, where: string, sentIn: 'row_mask' | 'row_indices'): void {
  for (let i = 0, j = 0; i < zeroRows.length; i++) {
    while (j < sent.length && sent[j] < zeroRows[i]) j++;
    if (sent[j] === zeroRows[i]) throw new WireFormatError(`${where}: row ${zeroRows[i]} is both in ${sentIn} and in zero_row_mask`);
  }
}

const BITS_SET = Uint8Array.from({ length: 256 }, (_, b) => {
  let n = 0;
  for (let x = b; x !== 0; x &= x - 1) n++;
  return n;
});

function checkShape(shape: readonly number[], limits: WireLimits, where: string): number[] {
  if (shape.length === 0) throw new WireFormatError(`${where}: shape is empty`);
  if (shape.length > limits.maxTensorRank) {
    throw new WireFormatError(`${where}: shape [${shape.join(', ')}] has ${shape.length} axes, more than ${limits.maxTensorRank}`);
  }
  let elements = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d <= 0) throw new WireFormatError(`${where}: shape [${shape.join(', ')}] has an axis of size ${d}`);
    elements *= d;
  }
  if (elements > limits.maxTensorElements) {
    throw new WireFormatError(
      `${where}: shape [${shape.join(', ')}] has ${elements} elements, more than the limit ${limits.maxTensorElements}`,
    );
  }
  return [...shape];
}

/** Throws unless `indices` (the `field` of the message) are strictly increasing and below `count`. */
function checkIndices(indices: Uint32Array, count: number, where: string, field: 'row' | 'element'): void {
  let previous = -1;
  for (let i = 0; i < indices.length; i++) {
    const index = indices[i];
    if (index <= previous) {
      throw new WireFormatError(`${where}: ${field}_indices not strictly increasing at position ${i} (${index} after ${previous})`);
    }
    previous = index;
  }
  if (previous >= count) throw new WireFormatError(`${where}: ${field} index ${previous} out of range for ${count} ${field}s`);
}

/** Catches an inconsistent in-memory tensor before it is sent (where the peer would reject it). */
function checkTensorValue(name: string, value: TensorValue): void {
  const shape = `[${value.shape.join(', ')}]`;
  if (value.kind === 'dense') {
    if (value.values.length !== elementCount(value.shape)) {
      throw new InvalidUpdateError('malformed', `tensor '${name}': ${value.values.length} values for shape ${shape}`);
    }
    return;
  }
  if (value.values.length !== value.rows.length * rowSize(value.shape)) {
    throw new InvalidUpdateError(
      'malformed',
      `tensor '${name}': ${value.values.length} values for ${value.rows.length} rows of shape ${shape}`,
    );
  }
  if (value.rowWeights && value.rowWeights.length !== value.rows.length) {
    throw new InvalidUpdateError('malformed', `tensor '${name}': ${value.rowWeights.length} row weights for ${value.rows.length} rows`);
  }
  const zeroRows = value.zeroRows?.length ?? 0;
  if (zeroRows > 0 && (value.zeroRowWeights?.length ?? 0) !== (value.rowWeights ? zeroRows : 0)) {
    throw new InvalidUpdateError(
      'malformed',
      `tensor '${name}': ${value.zeroRowWeights?.length ?? 0} zero-row weights for ${zeroRows} zero rows (rows ${value.rowWeights ? 'have' : 'have no'} weights)`,
    );
  }
  for (let i = 0; i < value.rows.length; i++) {
    if ((i > 0 && value.rows[i] <= value.rows[i - 1]) || value.rows[i] >= value.shape[0]) {
      throw new InvalidUpdateError(
        'malformed',
        `tensor '${name}': row ${value.rows[i]} at position ${i} is out of order or out of range for shape ${shape}`,
      );
    }
  }
}
