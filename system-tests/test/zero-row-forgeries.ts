// Forged zero rows (issue 16), for the hostile device and hostile edge processes: updates to a model's first
// tensor that send rows 0 and 1 and hold back rows 2 and 3 (SparseRows.zeroRows; on the wire the Tensor's
// zero_row_mask and, beside row weights, zero_row_weights), each breaking one rule the receiver must check.
// A forgery is built as an honest sender would encode it, then its Tensor message is tampered with where the
// encoder itself would refuse to send it.

import {
  dense,
  elementCount,
  encodeEnvelope,
  encodeUpdate,
  rowSize,
  type ModelParams,
  type SparseRows,
  type TaskLimits,
  type TensorValue,
  type strata,
} from '@strata/shared';

/** An update of a model's first tensor, and what is done to its Tensor message. */
export interface Forgery {
  /** The first tensor's update, given the tensor's shape and the most one device answer can weigh a row. */
  readonly value: (shape: readonly number[], rowMost: number) => TensorValue;
  /** The update's weight, given the most one device answer can weigh (default 1). */
  readonly weight?: (deviceMost: number) => number;
  /** What is done to the encoded Tensor message (default nothing). */
  readonly tamper?: (tensor: strata.ITensor) => void;
}

const floats = (...values: number[]): Uint8Array => new Uint8Array(Float32Array.from(values).buffer);

/** Rows 0 and 1 sent (every value 0.001), rows 2 and 3 held back, with row weights `weights` (or none). */
function held(shape: readonly number[], weights?: { rows: readonly number[]; zeroRows: readonly number[] }): SparseRows {
  const sent: SparseRows = {
    kind: 'sparse',
    shape: [...shape],
    rows: Uint32Array.of(0, 1),
    values: new Float32Array(2 * rowSize(shape)).fill(0.001),
    zeroRows: Uint32Array.of(2, 3),
  };
  return weights ? { ...sent, rowWeights: Float32Array.from(weights.rows), zeroRowWeights: Float32Array.from(weights.zeroRows) } : sent;
}

const unweighted = (shape: readonly number[]): SparseRows => held(shape);
const zeroWeights =
  (...zeroRows: number[]) =>
  (shape: readonly number[]) =>
    held(shape, { rows: [1, 1], zeroRows });

/** What a device may not send: each is refused at the edge (the inflated weight is clipped), counted. */
export const DEVICE_ZERO_ROW_FORGERIES: Record<string, Forgery> = {
  // Bit 7 of the last byte: 1682 rows leave bits 2-7 of byte 210 past the table.
  'zero-mask-past-end': {
    value: unweighted,
    tamper: (t) => {
      t.zeroRowMask![t.zeroRowMask!.length - 1] |= 0x80;
    },
  },
  'zero-mask-short': {
    value: unweighted,
    tamper: (t) => {
      t.zeroRowMask = t.zeroRowMask!.subarray(1);
    },
  },
  'zero-mask-on-sent-row': {
    value: unweighted,
    tamper: (t) => {
      t.zeroRowMask![0] |= 1;
    },
  },
  'zero-mask-on-dense': {
    value: (shape) => dense(shape, new Float32Array(elementCount(shape)).fill(0.001)),
    tamper: (t) => {
      t.zeroRowMask = new Uint8Array(Math.ceil(t.shape![0] / 8));
      t.zeroRowMask[0] = 0b100;
    },
  },
  'zero-weights-count': {
    value: zeroWeights(1, 1),
    tamper: (t) => {
      t.zeroRowWeights = floats(1);
    },
  },
  'zero-weights-unweighted-rows': {
    value: unweighted,
    tamper: (t) => {
      t.zeroRowWeights = floats(1, 1);
    },
  },
  'zero-weights-without-mask': {
    value: zeroWeights(1, 1),
    tamper: (t) => {
      t.zeroRowMask = new Uint8Array(0);
    },
  },
  'zero-weight-nan': { value: zeroWeights(Number.NaN, 1) },
  'zero-weight-negative': { value: zeroWeights(-1, 1) },
  'zero-weight-inflated': { value: zeroWeights(1e12, 1) },
};

/** What an edge claiming one device answer may not send to the cloud: each is refused there, counted. */
export const EDGE_ZERO_ROW_FORGERIES: Record<string, Forgery> = {
  'edge-zero-weight-negative': { value: zeroWeights(-1, 1) },
  'edge-zero-weight-nan': { value: zeroWeights(Number.NaN, 1) },
  'edge-zero-weight-inflated': { value: (shape, rowMost) => held(shape, { rows: [1, 1], zeroRows: [2 * rowMost, 1] }) },
  'edge-row-weight-inflated': { value: (shape, rowMost) => held(shape, { rows: [2 * rowMost, 1], zeroRows: [1, 1] }) },
  'edge-weight-inflated': { value: zeroWeights(1, 1), weight: (deviceMost) => 2 * deviceMost },
  'edge-zero-weights-count': {
    value: zeroWeights(1, 1),
    tamper: (t) => {
      t.zeroRowWeights = floats(1, 1, 1);
    },
  },
};

export interface ForgeryHeader {
  readonly roundId: string;
  readonly baseVersion: number;
  readonly sender: string;
}

/** The reply (an Update envelope, float32) `forgery` makes of `model`'s first tensor under `limits`. */
export function forgeZeroRows(forgery: Forgery, model: ModelParams, header: ForgeryHeader, limits?: TaskLimits): Uint8Array {
  const [name, tensor] = model.entries().next().value!;
  const deviceMost = limits?.maxDeviceWeight ?? 1e6;
  const rowMost = limits ? Math.max(deviceMost, limits.maxRowWeight.base + limits.maxRowWeight.perWeight * deviceMost) : 1e6;
  const update = encodeUpdate(
    { delta: new Map([[name, forgery.value(tensor.shape, rowMost)]]), weight: forgery.weight?.(deviceMost) ?? 1, metrics: {} },
    { roundId: header.roundId, baseVersion: header.baseVersion, dtype: 'float32' },
  );
  forgery.tamper?.(update.tensors![0]);
  return encodeEnvelope({ sender: header.sender, update });
}
