// Compact sparse rows on the wire (issue 16): the rows a sparse tensor sends are named by uint32 indices or by
// a bitmask of the tensor's rows (row_mask), whichever is smaller; per-row int8 sends rows of fewer than 4
// values as bfloat16 (float32's upper half, rounded to nearest even). Both round trip, the decoder refuses
// every inconsistent mask, and error feedback keeps exactly what the receiver does not see.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeEnvelope,
  decodeTensor,
  decodeUpdate,
  encodeEnvelope,
  encodeTensor,
  encodeUpdate,
  ErrorFeedback,
  SeededRandom,
  strata,
  WireFormatError,
  type SparseRows,
  type TensorValue,
} from '../src/index.js';
import { bfloat16ToFloat32, float32ToBfloat16 } from '../src/wire/bfloat16.js';

const bf16 = (x: number): number => float32ToBfloat16(Float32Array.of(x))[0];
const back = (x: number): number => bfloat16ToFloat32(Uint16Array.of(bf16(x)))[0];

function rejects(action: () => unknown, message: RegExp): void {
  assert.throws(action, (error: unknown) => {
    assert.ok(error instanceof WireFormatError, `expected WireFormatError, got ${String(error)}`);
    assert.match(error.message, message);
    return true;
  });
}

function sparse(rowCount: number, width: number, rows: number[], random: SeededRandom): SparseRows {
  const values = new Float32Array(rows.length * width).map(() => random.normal());
  return { kind: 'sparse', shape: [rowCount, width], rows: Uint32Array.from(rows), values };
}

test('bfloat16 keeps the upper half of a float32, rounded to nearest even, over the whole float32 range', () => {
  assert.equal(bf16(1), 0x3f80);
  assert.equal(bf16(1 + 2 ** -8), 0x3f80, 'a tie rounds to the even 1');
  assert.equal(bf16(1 + 3 * 2 ** -8), 0x3f82, 'a tie rounds to the even 1 + 2^-6');
  assert.equal(bf16(1 + 2 ** -8 + 2 ** -20), 0x3f81, 'above the tie rounds up');
  assert.equal(bf16(-2), 0xc000);
  assert.ok(Object.is(back(-0), -0));
  // float16 overflows above 65504; the moments of the radiance task, scaled by (3 x batch)^2, go far beyond.
  for (const x of [7e4, 1e10, -3e30, 1e-30]) {
    assert.ok(Math.abs(back(x) - x) <= Math.abs(x) * 2 ** -8, `${x} came back as ${back(x)}`);
  }
  // Below float32's normal range bfloat16 steps by 2^-133: the error is at most half a step.
  assert.ok(Math.abs(back(1e-40) - 1e-40) <= 2 ** -134, `1e-40 came back as ${back(1e-40)}`);
  assert.equal(back(Infinity), Infinity);
  assert.equal(back(-Infinity), -Infinity);
  assert.equal(back(3.4e38), Infinity, 'past the largest bfloat16');
  assert.ok(Number.isNaN(back(Number.NaN)));
  // A NaN whose payload sits only in the dropped bits stays NaN, not infinity.
  const nan = new Float32Array(new Uint32Array([0x7f800001]).buffer);
  assert.ok(Number.isNaN(bfloat16ToFloat32(float32ToBfloat16(nan))[0]));
  // The nearest of the two neighbours, for random values of every magnitude.
  const random = new SeededRandom(3);
  const values = new Float32Array(20000).map(() => random.normal() * 10 ** Math.floor(random.next() * 60 - 30));
  const bits = new Uint32Array(values.buffer);
  const got = bfloat16ToFloat32(float32ToBfloat16(values));
  for (let i = 0; i < values.length; i++) {
    const down = new Float32Array(new Uint32Array([bits[i] & 0xffff0000]).buffer)[0];
    const up = new Float32Array(new Uint32Array([(bits[i] & 0xffff0000) + 0x10000]).buffer)[0];
    const best = Math.min(Math.abs(down - values[i]), Math.abs(up - values[i]));
    assert.equal(Math.abs(got[i] - values[i]), best, `${values[i]} -> ${got[i]}`);
  }
});

test('sparse rows travel as a row mask exactly when it is smaller than their indices, and round trip either way', () => {
  const random = new SeededRandom(5);
  // 64 rows: the mask is 8 bytes, two indices are 8 too (indices on a tie), three are 12.
  for (const [rows, byMask] of [
    [[], false],
    [[7], false],
    [[0, 63], false],
    [[0, 9, 63], true],
    [Array.from({ length: 64 }, (_, i) => i), true],
  ] as const) {
    const value = sparse(64, 5, [...rows], random);
    for (const dtype of ['float32', 'float16', 'int8'] as const) {
      const message = encodeTensor('t', value, { dtype, perRowScale: true });
      assert.equal(message.rowMask !== undefined, byMask, `${rows.length} rows`);
      assert.equal(message.rowIndices !== undefined, !byMask, `${rows.length} rows`);
      if (byMask) assert.equal(message.rowMask!.length, 8);
      const decoded = decodeTensor(strata.Tensor.decode(strata.Tensor.encode(message).finish())).value as SparseRows;
      assert.deepEqual([...decoded.rows], [...rows]);
      if (dtype === 'float32') assert.deepEqual(decoded.values, value.values, 'float32 rows are exact');
    }
  }
});

test('a patch row of a radiance-shaped model (density, 12 colours, two moments) takes half its old 47 bytes', () => {
  // The shape of the federated lego run's grid tensors, a third of the voxels changed.
  const random = new SeededRandom(6);
  const voxels = 48 ** 3;
  const rows = Array.from({ length: Math.floor(voxels / 3) }, (_, i) => 3 * i);
  const delta = new Map<string, TensorValue>([
    ['density', sparse(voxels, 1, rows, random)],
    ['color', sparse(voxels, 12, rows, random)],
    ['density_grad_sq', sparse(voxels, 1, rows, random)],
    ['color_grad_sq', sparse(voxels, 1, rows, random)],
  ]);
  const frame = encodeEnvelope({
    update: encodeUpdate({ delta, weight: 1, metrics: {} }, { roundId: 'r', baseVersion: 1, dtype: 'int8', perRowScale: true }),
  });
  const perRow = frame.byteLength / rows.length;
  // density, both moments: 2 bytes (bfloat16); colour: 12 + 4 (scale); four masks of 1 bit per voxel, 3
  // voxels a row: 22 + 4 x 3 / 8 = 23.5, and a few bytes of framing.
  assert.ok(perRow < 23.6, `${perRow.toFixed(2)} bytes a row`);
  const decoded = decodeUpdate(decodeEnvelope(frame).update).update;
  for (const [name, value] of delta) assert.deepEqual([...(decoded.delta.get(name) as SparseRows).rows], [...(value as SparseRows).rows]);
});

test('a forged row mask is refused, naming what is wrong with it', () => {
  const random = new SeededRandom(7);
  const good = encodeTensor('t', sparse(20, 4, [1, 5, 6, 19], random), { dtype: 'float32' });
  assert.equal(good.rowMask?.length, 3);
  rejects(
    () => decodeTensor({ ...good, rowIndices: new Uint8Array(Uint32Array.of(1, 5, 6, 19).buffer) }),
    /both row_indices \(16 bytes\) and row_mask \(3 bytes\) given/,
  );
  rejects(() => decodeTensor({ ...good, rowMask: good.rowMask!.subarray(1) }), /tensor 't': row_mask has 2 bytes, expected 3 for 20 rows/);
  rejects(() => decodeTensor({ ...good, rowMask: Uint8Array.of(0b01100010, 0, 0b10001000) }), /row_mask sets a row past the last \(19\)/);
  rejects(
    () => decodeTensor({ ...good, rowMask: Uint8Array.of(0b01100011, 0, 0b1000) }),
    /data has 64 bytes, expected 80 \(5 rows set in row_mask of shape \[20, 4\] as float32\)/,
  );
  rejects(() => decodeTensor({ ...good, rowMask: Uint8Array.of(0b00100010, 0, 0b1000) }), /expected 48 \(3 rows set in row_mask/);
  rejects(() => decodeTensor({ ...good, sparse: false }), /tensor 't': row_mask given \(3 bytes\) but the tensor is not sparse/);
  // int8 per row: one scale for each row the mask sets.
  const int8 = encodeTensor('t', sparse(20, 4, [1, 5, 6, 19], random), { dtype: 'int8', perRowScale: true });
  rejects(
    () => decodeTensor({ ...int8, rowMask: Uint8Array.of(0b01100010, 0, 0), data: new Uint8Array(12) }),
    /scales has 4 values, expected 1 \(per tensor\) or 3 \(per row\)/,
  );
  // bfloat16: two bytes a value, no scales.
  const narrow = encodeTensor('d', sparse(20, 1, [1, 5, 6, 19], random), { dtype: 'int8', perRowScale: true });
  assert.equal(narrow.dtype, strata.DType.BFLOAT16);
  rejects(() => decodeTensor({ ...narrow, scales: new Uint8Array(16) }), /scales given \(16 bytes\) for a bfloat16 tensor/);
  rejects(() => decodeTensor({ ...narrow, data: new Uint8Array(4) }), /data has 4 bytes, expected 8 .*as bfloat16/);
});

test('error feedback keeps exactly what the receiver of bfloat16 rows does not see', () => {
  const random = new SeededRandom(8);
  const feedback = new ErrorFeedback();
  const value = sparse(40, 1, [2, 3, 17], random);
  value.values.set([1e10, 1 + 2 ** -9, -3.3e-3]);
  const message = feedback.encode('d', value, { dtype: 'int8', perRowScale: true });
  assert.equal(message.dtype, strata.DType.BFLOAT16);
  const received = decodeTensor(message).value.values;
  const residual = feedback.residual('d')!;
  [2, 3, 17].forEach((row, i) => assert.equal(residual[row], Math.fround(value.values[i] - received[i]), `row ${row}`));
  assert.ok(residual[3] !== 0, 'the rounding of 1 + 2^-9 is kept');
  // The next round sends it.
  const next = feedback.compensate('d', { ...value, rows: Uint32Array.of(3), values: Float32Array.of(0) });
  assert.equal(next.values[0], residual[3]);
});
