// encodeUpdateFrame (payloads computed straight into the frame) against the composition it replaces,
// encodeEnvelope({ sender, update: encodeUpdate(...) }): the same bytes for every dtype, per-row scales and
// top-k, with and without error feedback, on tensors small enough for the scalar loops and large enough for
// the SIMD kernels; and the frames decode back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  decodeEnvelope,
  decodeUpdate,
  encodeEnvelope,
  encodeUpdate,
  encodeUpdateFrame,
  ErrorFeedback,
  SeededRandom,
  strata,
  type ModelUpdate,
  type TensorValue,
  type UpdateEncodingOptions,
} from '../src/index.js';
import { DeferredBytes, writtenBytes } from '../src/wire/deferred-bytes.js';
import { encodeTensor, encodeTensorForFrame } from '../src/wire/tensor-codec.js';
import { denseTensors, sparseTensors } from './wire-arbitraries.js';

const DTYPES = ['float32', 'float16', 'int8'] as const;
const TOP_K = [undefined, 0.3, 0.01] as const;

function oldFrame(sender: string, update: ModelUpdate, options: UpdateEncodingOptions): Uint8Array {
  return encodeEnvelope({ sender, update: encodeUpdate(update, options) });
}

/** Every combination of dtype, per-row scale and top-k fraction. */
function* encodings(): Generator<Omit<UpdateEncodingOptions, 'roundId' | 'baseVersion'>> {
  for (const dtype of DTYPES)
    for (const perRowScale of [false, true]) for (const topKFraction of TOP_K) yield { dtype, perRowScale, topKFraction };
}

function assertSameUpdate(actual: ModelUpdate, expected: ModelUpdate): void {
  assert.deepEqual([...actual.delta.keys()], [...expected.delta.keys()]);
  for (const [name, value] of expected.delta) {
    const back = actual.delta.get(name) as TensorValue;
    assert.equal(back.kind, value.kind);
    assert.deepEqual(back.shape, value.shape);
    assert.deepEqual(
      Buffer.from(back.values.buffer, back.values.byteOffset, back.values.byteLength),
      Buffer.from(value.values.buffer, value.values.byteOffset, value.values.byteLength),
    );
  }
  assert.equal(actual.weight, expected.weight);
  assert.deepEqual(actual.metrics, expected.metrics);
}

/** Values of every kind the kernels tell apart: normal, subnormal, zero, huge, infinite, NaN; one row of each. */
function awkwardValues(rows: number, width: number, seed: number): Float32Array {
  const random = new SeededRandom(seed);
  const values = new Float32Array(rows * width);
  for (let i = 0; i < values.length; i++) values[i] = 0.01 * random.normal();
  const special = [0, 1e-41, -6e-8, 70000, Infinity, Number.NaN, 1e-38];
  special.forEach((v, k) => {
    const row = (k * 7) % rows;
    values.fill(0, row * width, (row + 1) * width);
    values[row * width + (k % width)] = v;
  });
  values[values.length - 1] = 1e-6;
  return values;
}

const large: ModelUpdate = {
  delta: new Map<string, TensorValue>([
    ['matrix', { kind: 'dense', shape: [37, 1024], values: awkwardValues(37, 1024, 1) }],
    ['table', { kind: 'dense', shape: [300, 64], values: awkwardValues(300, 64, 2) }],
    ['odd', { kind: 'dense', shape: [13, 7], values: awkwardValues(13, 7, 3) }],
    ['bias', { kind: 'dense', shape: [1021], values: awkwardValues(1, 1021, 4) }],
    [
      'rows',
      {
        kind: 'sparse',
        shape: [500, 32],
        rows: Uint32Array.from({ length: 40 }, (_, i) => i * 12 + 1),
        values: awkwardValues(40, 32, 5),
        rowWeights: Float32Array.from({ length: 40 }, (_, i) => 1 + i),
        zeroRows: Uint32Array.of(0, 2, 499),
        zeroRowWeights: Float32Array.of(3, 4, 5),
      },
    ],
    // Narrow rows (bfloat16 under per-row int8), named by a row mask (a third of the rows) and by indices.
    [
      'density',
      {
        kind: 'sparse',
        shape: [3000, 1],
        rows: Uint32Array.from({ length: 1000 }, (_, i) => 3 * i + 2),
        values: awkwardValues(1000, 1, 6),
      },
    ],
    ['pairs', { kind: 'sparse', shape: [3000, 2], rows: Uint32Array.of(5, 2999), values: awkwardValues(2, 2, 7) }],
    ['narrow', { kind: 'dense', shape: [41, 3], values: awkwardValues(41, 3, 8) }],
  ]),
  weight: 12.5,
  metrics: { loss: 0.25 },
};

test('encodeUpdateFrame writes the same bytes as encodeEnvelope(encodeUpdate) for every encoding, on kernel-sized tensors', () => {
  for (const encoding of encodings()) {
    const options = { roundId: 'round-9', baseVersion: 4, ...encoding };
    const frame = encodeUpdateFrame('device-3', large, options);
    const expected = oldFrame('device-3', large, options);
    assert.deepEqual(Buffer.from(frame), Buffer.from(expected), `frames differ for ${JSON.stringify(encoding)}`);
    const decoded = decodeUpdate(decodeEnvelope(frame).update);
    assert.equal(decoded.roundId, 'round-9');
    assert.equal(decoded.baseVersion, 4);
    assertSameUpdate(decoded.update, decodeUpdate(decodeEnvelope(expected).update).update);
  }
});

test('the kernel-sized update travels with row masks and indices, and per-row int8 sends its narrow rows as bfloat16', () => {
  const message = encodeUpdate(large, { roundId: 'r', baseVersion: 1, dtype: 'int8', perRowScale: true });
  const tensor = (name: string): strata.ITensor => message.tensors!.find((t) => t.name === name)!;
  for (const name of ['rows', 'density']) assert.ok(tensor(name).rowMask && !tensor(name).rowIndices, `${name} by mask`);
  assert.ok(tensor('pairs').rowIndices && !tensor('pairs').rowMask, 'pairs by indices');
  for (const name of ['density', 'pairs', 'narrow']) assert.equal(tensor(name).dtype, strata.DType.BFLOAT16, name);
  for (const name of ['matrix', 'rows', 'odd']) assert.equal(tensor(name).dtype, strata.DType.INT8, name);
});

test('encodeUpdateFrame writes the same bytes as encodeEnvelope(encodeUpdate) on random updates', () => {
  const updates: fc.Arbitrary<ModelUpdate> = fc
    .uniqueArray(fc.tuple(fc.string({ minLength: 1, maxLength: 20 }), fc.oneof(denseTensors, sparseTensors)), {
      maxLength: 4,
      selector: ([name]) => name,
    })
    .map((tensors) => ({ delta: new Map<string, TensorValue>(tensors), weight: 3, metrics: { loss: 1 } }));
  fc.assert(
    fc.property(updates, fc.constantFrom(...encodings()), fc.string({ maxLength: 300 }), (update, encoding, sender) => {
      const options = { roundId: 'r', baseVersion: 1, ...encoding };
      const frame = encodeUpdateFrame(sender, update, options);
      assert.deepEqual(Buffer.from(frame), Buffer.from(oldFrame(sender, update, options)));
      assertSameUpdate(decodeUpdate(decodeEnvelope(frame).update).update, decodeUpdate(encodeUpdate(update, options)).update);
    }),
    { seed: 77, numRuns: 300 },
  );
});

test('with error feedback, encodeUpdateFrame sends and keeps what encodeUpdate does, round after round', () => {
  for (const encoding of encodings()) {
    const viaFrame = new ErrorFeedback();
    const viaMessage = new ErrorFeedback();
    for (let round = 0; round < 3; round++) {
      const options = { roundId: `r${round}`, baseVersion: round, ...encoding };
      const frame = encodeUpdateFrame('d', large, { ...options, errorFeedback: viaFrame });
      const expected = oldFrame('d', large, { ...options, errorFeedback: viaMessage });
      assert.deepEqual(Buffer.from(frame), Buffer.from(expected), `round ${round}, ${JSON.stringify(encoding)}`);
      for (const name of large.delta.keys()) assert.deepEqual(viaFrame.residual(name), viaMessage.residual(name), `residual of ${name}`);
    }
  }
});

test('a deferred payload cannot be read before the frame writer wrote it, nor written at the wrong size', () => {
  const payload = new DeferredBytes(4, (target) => target.fill(7));
  const field = payload as unknown as Uint8Array;
  assert.throws(() => writtenBytes(field), /read before the frame writer wrote them/);
  assert.throws(() => payload.write(new Uint8Array(3)), /target of 3 bytes for 4/);
  payload.write(new Uint8Array(4));
  assert.deepEqual([...(writtenBytes(field) ?? [])], [7, 7, 7, 7]);
});

test('a deferred float16 payload written at an odd offset (an unaligned frame) is still the eager payload', () => {
  const value: TensorValue = { kind: 'dense', shape: [9, 7], values: awkwardValues(9, 7, 6) };
  const payload = encodeTensorForFrame('w', value, { dtype: 'float16' }).data as unknown as DeferredBytes;
  const frame = new Uint8Array(payload.length + 1);
  payload.write(frame.subarray(1));
  assert.deepEqual(Buffer.from(frame.subarray(1)), Buffer.from(encodeTensor('w', value, { dtype: 'float16' }).data ?? []));
});
