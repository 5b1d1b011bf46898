import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  decodeEnvelope,
  decodeTensor,
  decodeUpdate,
  encodeEnvelope,
  encodeTensor,
  encodeUpdate,
  rowSize,
  strata,
  type TensorValue,
  type WireDType,
} from '../src/index.js';
import { denseTensors, sparseTensors } from './wire-arbitraries.js';

const tensors = fc.oneof(denseTensors, sparseTensors);

/** Round trip through the message object and through real frame bytes. */
function roundTrip(value: TensorValue, dtype: WireDType, perRowScale: boolean): TensorValue {
  const message = encodeTensor('t', value, { dtype, perRowScale });
  const bytes = strata.Tensor.encode(message).finish();
  const decoded = decodeTensor(strata.Tensor.decode(bytes));
  assert.equal(decoded.name, 't');
  return decoded.value;
}

function assertSameLayout(actual: TensorValue, expected: TensorValue): void {
  assert.equal(actual.kind, expected.kind);
  assert.deepEqual([...actual.shape], [...expected.shape]);
  assert.equal(actual.values.length, expected.values.length);
  if (actual.kind === 'sparse' && expected.kind === 'sparse') {
    assert.deepEqual([...actual.rows], [...expected.rows]);
    // Zero rows with zero weights and zero rows without weights are the same bytes on the wire.
    const weights = (t: typeof actual): number[] | undefined => (t.rowWeights?.length ? [...t.rowWeights] : undefined);
    assert.deepEqual(weights(actual), weights(expected));
  }
}

/** max |value| / 127 of every scale group: the whole tensor, or each row when per row applies. */
function expectedScales(value: TensorValue, perRow: boolean): { scales: number[]; group: number } {
  const group = perRow && value.shape.length >= 2 ? rowSize(value.shape) : Math.max(1, value.values.length);
  const scales: number[] = [];
  for (let start = 0; start < value.values.length; start += group) {
    let max = 0;
    for (let i = start; i < start + group; i++) max = Math.max(max, Math.abs(value.values[i]));
    scales.push(max / 127);
  }
  if (scales.length === 0) scales.push(0);
  return { scales, group };
}

test('float32 round trips are exact, dense and sparse', () => {
  fc.assert(
    fc.property(tensors, (value) => {
      const back = roundTrip(value, 'float32', false);
      assertSameLayout(back, value);
      for (let i = 0; i < value.values.length; i++) assert.ok(Object.is(back.values[i], value.values[i]));
    }),
    { seed: 11, numRuns: 200 },
  );
});

test('float16 round trips are within 2^-11 relative (2^-25 absolute below the normal range)', () => {
  fc.assert(
    fc.property(tensors, (value) => {
      const back = roundTrip(value, 'float16', false);
      assertSameLayout(back, value);
      for (let i = 0; i < value.values.length; i++) {
        const x = value.values[i];
        const bound = Math.abs(x) >= 2 ** -14 ? Math.abs(x) * 2 ** -11 : 2 ** -25;
        assert.ok(Math.abs(back.values[i] - x) <= bound, `${x} came back as ${back.values[i]}`);
      }
    }),
    { seed: 12, numRuns: 200 },
  );
});

/** Per-row int8 sends rows of fewer than 4 values as bfloat16. */
const narrowRows = (value: TensorValue, perRow: boolean): boolean => perRow && value.shape.length >= 2 && rowSize(value.shape) < 4;

for (const perRow of [false, true]) {
  test(`int8 round trips with a scale per ${perRow ? 'row' : 'tensor'} are within scale / 2 (narrow rows: bfloat16)`, () => {
    fc.assert(
      fc.property(tensors, (value) => {
        const message = encodeTensor('t', value, { dtype: 'int8', perRowScale: perRow });
        if (narrowRows(value, perRow)) {
          assert.equal(message.dtype, strata.DType.BFLOAT16);
          assert.equal(message.scales, undefined, 'no scales');
          assert.equal(message.data?.byteLength, 2 * value.values.length);
          const back = roundTrip(value, 'int8', perRow);
          assertSameLayout(back, value);
          for (let i = 0; i < value.values.length; i++) {
            const x = value.values[i];
            assert.ok(Math.abs(back.values[i] - x) <= Math.abs(x) * 2 ** -8 + 1e-38, `${x} came back as ${back.values[i]}`);
          }
          return;
        }
        assert.equal(message.dtype, strata.DType.INT8);
        const { scales, group } = expectedScales(value, perRow);
        assert.equal((message.scales ?? new Uint8Array()).byteLength, 4 * scales.length, 'one float32 scale per group');
        const back = roundTrip(value, 'int8', perRow);
        assertSameLayout(back, value);
        for (let i = 0; i < value.values.length; i++) {
          // scale / 2 from rounding to the grid; the 1e-5 covers float32 rounding of the scale and of q * scale.
          const scale = scales[Math.floor(i / group)];
          assert.ok(Math.abs(back.values[i] - value.values[i]) <= scale * (0.5 + 1e-5), `${value.values[i]} -> ${back.values[i]}`);
        }
      }),
      { seed: perRow ? 14 : 13, numRuns: 200 },
    );
  });
}

test('int8 per-row scales are more accurate than one per tensor when rows differ in magnitude', () => {
  const values = new Float32Array(200);
  for (let i = 0; i < 100; i++) values[i] = 100 * Math.sin(i);
  for (let i = 100; i < 200; i++) values[i] = 0.01 * Math.sin(i);
  const value: TensorValue = { kind: 'dense', shape: [2, 100], values };
  const error = (perRow: boolean): number => {
    const back = roundTrip(value, 'int8', perRow);
    let worst = 0;
    for (let i = 100; i < 200; i++) worst = Math.max(worst, Math.abs(back.values[i] - values[i]));
    return worst;
  };
  assert.ok(error(true) < 1e-4 && error(false) > 1e-3, `per row ${error(true)}, per tensor ${error(false)}`);
});

test('float32 payloads decode as views of an aligned frame (zero-copy), and as copies of an unaligned one', () => {
  const dense: TensorValue = { kind: 'dense', shape: [3, 5], values: Float32Array.from({ length: 15 }, (_, i) => i / 7) };
  const sparse: TensorValue = {
    kind: 'sparse',
    shape: [100, 2],
    rows: Uint32Array.of(4, 9, 70),
    values: Float32Array.of(1, 2, 3, 4, 5, 6),
    rowWeights: Float32Array.of(1, 2, 3),
  };
  const update = {
    delta: new Map<string, TensorValue>([
      ['dense', dense],
      ['sparse', sparse],
    ]),
    weight: 3,
    metrics: {},
  };
  // An odd-length sender shifts everything after it: the encoder must still align each payload.
  for (const sender of ['', 'a', 'ab', 'abc', 'é'.repeat(70)]) {
    const frame = encodeEnvelope({ sender, update: encodeUpdate(update, { roundId: 'r', baseVersion: 1, dtype: 'float32' }) });
    assert.equal(frame.byteOffset, 0);
    const { delta } = decodeUpdate(decodeEnvelope(frame).update).update;
    const d = delta.get('dense') as TensorValue;
    const s = delta.get('sparse') as TensorValue & { kind: 'sparse' };
    assert.equal(d.values.buffer, frame.buffer, 'dense values are a view of the frame');
    assert.equal(s.values.buffer, frame.buffer, 'sparse values are a view of the frame');
    assert.equal(s.rows.buffer, frame.buffer, 'row indices are a view of the frame');
    assert.equal(s.rowWeights?.buffer, frame.buffer, 'row weights are a view of the frame');
    assert.deepEqual([...d.values], [...dense.values]);

    const shifted = new Uint8Array(frame.byteLength + 1).subarray(1);
    shifted.set(frame);
    const copied = decodeUpdate(decodeEnvelope(shifted).update).update.delta.get('dense') as TensorValue;
    assert.notEqual(copied.values.buffer, shifted.buffer, 'an unaligned payload is copied');
    assert.deepEqual([...copied.values], [...dense.values]);
  }
});

test('encoding float32 views the tensor memory instead of copying it', () => {
  const values = Float32Array.of(1, 2, 3, 4);
  const message = encodeTensor('t', { kind: 'dense', shape: [4], values }, { dtype: 'float32' });
  assert.equal(message.data?.buffer, values.buffer);
});

test('encoding rejects an in-memory tensor inconsistent with its shape', () => {
  assert.throws(() => encodeTensor('w', { kind: 'dense', shape: [2, 3], values: new Float32Array(5) }, { dtype: 'float32' }), {
    name: 'InvalidUpdateError',
    message: /tensor 'w': 5 values for shape \[2, 3\]/,
  });
  assert.throws(
    () => encodeTensor('e', { kind: 'sparse', shape: [4, 1], rows: Uint32Array.of(2, 1), values: new Float32Array(2) }, { dtype: 'int8' }),
    { name: 'InvalidUpdateError', message: /tensor 'e': row 1 at position 1/ },
  );
});
