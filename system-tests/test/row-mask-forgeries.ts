// Forged row masks (issue 16) for the hostile device process: updates to a model's first tensor that name
// the rows they send by a bitmask (the Tensor's row_mask, chosen by the encoder over uint32 row indices when
// smaller), one sent as an honest encoder sends it and the others breaking one rule the receiver must check.
// Each is built as an honest sender would encode it (float32, through zero-row-forgeries.ts's forgeZeroRows),
// then its Tensor message is tampered with where the encoder itself would never send it. One forges the other
// new field a device sends, the BFLOAT16 dtype, over a payload of the wrong length; one sends a bfloat16 NaN.

import { dense, elementCount, rowSize, strata, type SparseRows } from '@strata/shared';
import type { Forgery } from './zero-row-forgeries.js';

/** Rows sent: enough that their mask (one bit per row of the table) is smaller than their indices. */
export const MASKED_ROWS = 100;

/** Rows 0 to MASKED_ROWS - 1, every value 0.001: the honest encoder names them by a row mask. */
function masked(shape: readonly number[]): SparseRows {
  const width = rowSize(shape);
  return {
    kind: 'sparse',
    shape: [...shape],
    rows: Uint32Array.from({ length: MASKED_ROWS }, (_, i) => i),
    values: new Float32Array(MASKED_ROWS * width).fill(0.001),
  };
}

/** What a device may send (the first) and may not (the rest): each of the others is refused at the edge. */
export const DEVICE_ROW_MASK_FORGERIES: Record<string, Forgery> = {
  'row-mask-honest': { value: masked },
  'row-mask-and-indices': {
    value: masked,
    tamper: (t) => {
      t.rowIndices = new Uint8Array(Uint32Array.from({ length: MASKED_ROWS }, (_, i) => i).buffer);
    },
  },
  'row-mask-short': {
    value: masked,
    tamper: (t) => {
      t.rowMask = t.rowMask!.subarray(1);
    },
  },
  // Bit 7 of the last byte: a table of 1682 rows leaves bits 2-7 of byte 210 past its end.
  'row-mask-past-end': {
    value: masked,
    tamper: (t) => {
      t.rowMask![t.rowMask!.length - 1] |= 0x80;
    },
  },
  // One row more set in the mask than the data holds.
  'row-mask-extra-row': {
    value: masked,
    tamper: (t) => {
      t.rowMask![MASKED_ROWS >> 3] |= 1 << (MASKED_ROWS & 7);
    },
  },
  // Rows of bfloat16 values (2 bytes each) carrying the float32 payload: twice the bytes the rows hold.
  'bfloat16-float32-bytes': {
    value: masked,
    tamper: (t) => {
      t.dtype = strata.DType.BFLOAT16;
    },
  },
  // Well-formed bfloat16 rows (2 bytes a value) whose first value is a NaN (0x7fc0): decoded, then refused as
  // non-finite like a float32 NaN.
  'bfloat16-nan': {
    value: masked,
    tamper: (t) => {
      t.dtype = strata.DType.BFLOAT16;
      const halves = new Uint16Array(MASKED_ROWS * rowSize(t.shape as number[])).fill(0x3a83);
      halves[0] = 0x7fc0;
      t.data = new Uint8Array(halves.buffer);
    },
  },
  'row-mask-on-dense': {
    value: (shape) => dense(shape, new Float32Array(elementCount(shape)).fill(0.001)),
    tamper: (t) => {
      t.rowMask = new Uint8Array(Math.ceil(t.shape![0] / 8)).fill(0xff, 0, 1);
    },
  },
};
