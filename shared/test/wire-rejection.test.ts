import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  assertCompatible,
  assertFinite,
  decodeEnvelope,
  decodeModel,
  decodeUpdate,
  encodeEnvelope,
  encodeModel,
  encodeUpdate,
  StrataError,
  strata,
  WireFormatError,
  type ModelParams,
  type ModelUpdate,
  type TensorValue,
} from '../src/index.js';

const f32 = (...values: number[]): Uint8Array => new Uint8Array(Float32Array.from(values).buffer);
const u32 = (...values: number[]): Uint8Array => new Uint8Array(Uint32Array.from(values).buffer);

/** Decodes a frame carrying one update with `tensors`, as a receiver would. */
function receiveUpdate(tensors: strata.ITensor[], limits = {}): ModelUpdate {
  return decodeUpdate(decodeEnvelope(encodeEnvelope({ update: { roundId: 'r', tensors } }), limits).update, limits).update;
}

function rejects(action: () => unknown, message: RegExp): void {
  assert.throws(action, (error: unknown) => {
    assert.ok(error instanceof WireFormatError, `expected WireFormatError, got ${String(error)}`);
    assert.match(error.message, message);
    return true;
  });
}

const goodFrame = encodeEnvelope({
  sender: 'device-1',
  update: encodeUpdate(
    { delta: new Map([['w', { kind: 'dense', shape: [4, 4], values: new Float32Array(16).fill(0.5) }]]), weight: 3, metrics: { loss: 1 } },
    { roundId: 'r1', baseVersion: 1, dtype: 'int8', perRowScale: true },
  ),
});

test('random bytes are rejected with WireFormatError or decode to something valid, never another error', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      try {
        const envelope = decodeEnvelope(bytes);
        if (envelope.update) decodeUpdate(envelope.update);
        if (envelope.model) decodeModel(envelope.model);
      } catch (error) {
        assert.ok(error instanceof WireFormatError, `${String(error)} for ${Buffer.from(bytes).toString('hex')}`);
      }
    }),
    { seed: 41, numRuns: 3000 },
  );
  rejects(() => decodeEnvelope(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff)), /malformed frame \(6 bytes\)/);
});

test('every truncation of a valid frame is rejected', () => {
  for (let length = 0; length < goodFrame.byteLength; length++) {
    assert.throws(
      () => {
        const envelope = decodeEnvelope(goodFrame.subarray(0, length));
        decodeUpdate(envelope.update);
      },
      WireFormatError,
      `prefix of ${length} bytes`,
    );
  }
  rejects(() => decodeEnvelope(goodFrame.subarray(0, goodFrame.byteLength - 3)), /malformed frame/);
  rejects(() => decodeEnvelope(new Uint8Array(0)), /frame is empty/);
});

test('a frame larger than the maximum is rejected before it is decoded', () => {
  rejects(
    () => decodeEnvelope(goodFrame, { maxFrameBytes: goodFrame.byteLength - 1 }),
    new RegExp(`frame of ${goodFrame.byteLength} bytes is larger than the maximum of ${goodFrame.byteLength - 1}`),
  );
  // Garbage that is too large is reported as too large, not as malformed: nothing was read.
  rejects(() => decodeEnvelope(new Uint8Array(1000).fill(0xff), { maxFrameBytes: 999 }), /larger than the maximum/);
  assert.equal(decodeEnvelope(goodFrame, { maxFrameBytes: goodFrame.byteLength }).body, 'update');
});

test('envelopes without a body, of another protocol version, or with an unknown request kind are rejected', () => {
  rejects(() => decodeEnvelope(strata.Envelope.encode({ protocol: 1, sender: 'x' }).finish()), /envelope has no body/);
  rejects(
    () => decodeEnvelope(strata.Envelope.encode({ protocol: 2, model: { version: 1 } }).finish()),
    /protocol 2 is not the supported version 1/,
  );
  rejects(() => decodeEnvelope(encodeEnvelope({ roundRequest: { kind: 7 as strata.RoundRequest.Kind } })), /round_request kind 7/);
  rejects(() => encodeEnvelope({ sender: 'x' }), /no body/);
  rejects(() => decodeUpdate(undefined), /update is missing/);
  rejects(() => decodeModel(null), /model is missing/);
});

test('each inconsistent tensor field is rejected with a message naming the tensor and the field', () => {
  const dense = { name: 'w', shape: [2, 3], dtype: strata.DType.FLOAT32, data: f32(1, 2, 3, 4, 5, 6) };
  const sparse = { name: 'e', shape: [10, 2], sparse: true, rowIndices: u32(1, 4), data: f32(1, 2, 3, 4) };
  assert.equal(receiveUpdate([dense, sparse]).delta.size, 2, 'the unmodified tensors are accepted');

  rejects(
    () => receiveUpdate([{ ...dense, data: f32(1, 2, 3, 4, 5) }]),
    /tensor 'w': data has 20 bytes, expected 24 \(shape \[2, 3\] as float32\)/,
  );
  rejects(() => receiveUpdate([{ ...dense, dtype: strata.DType.FLOAT16 }]), /tensor 'w': data has 24 bytes, expected 12 .*float16/);
  rejects(() => receiveUpdate([{ ...dense, dtype: 9 as strata.DType }]), /tensor 'w': unknown dtype 9/);
  rejects(() => receiveUpdate([{ ...dense, shape: [2, 0, 3] }]), /tensor 'w': shape \[2, 0, 3\] has an axis of size 0/);
  rejects(() => receiveUpdate([{ ...dense, shape: [] }]), /tensor 'w': shape is empty/);
  rejects(() => receiveUpdate([{ ...dense, shape: [1, 1, 1, 1, 1, 1, 1, 1, 2, 3] }]), /tensor 'w': shape .* has 10 axes/);
  rejects(
    () => receiveUpdate([{ ...sparse, shape: [4e9, 2] }]),
    /tensor 'e': shape \[4000000000, 2\] has 8000000000 elements, more than the limit/,
  );
  rejects(
    () => receiveUpdate([{ ...dense, shape: [2, 3] }], { maxTensorElements: 5 }),
    /tensor 'w': shape \[2, 3\] has 6 elements, more than the limit 5/,
  );
  rejects(() => receiveUpdate([{ ...dense, scales: f32(1) }]), /tensor 'w': scales given \(4 bytes\) for a float32 tensor/);
  rejects(() => receiveUpdate([{ ...dense, rowIndices: u32(0) }]), /tensor 'w': row_indices given .* not sparse/);
  rejects(() => receiveUpdate([{ ...dense, rowWeights: f32(1, 1) }]), /tensor 'w': row_weights given .* dense/);
  rejects(() => receiveUpdate([{ ...dense, name: '' }]), /update: tensor #0 has no name/);
  rejects(() => receiveUpdate([dense, dense]), /update: tensor 'w' appears twice/);

  const int8 = { ...dense, dtype: strata.DType.INT8, data: new Uint8Array(6) };
  assert.equal(receiveUpdate([{ ...int8, scales: f32(0.1) }]).delta.size, 1);
  assert.equal(receiveUpdate([{ ...int8, scales: f32(0.1, 0.2) }]).delta.size, 1);
  rejects(
    () => receiveUpdate([{ ...int8, scales: f32(0.1, 0.2, 0.3) }]),
    /tensor 'w': scales has 3 values, expected 1 \(per tensor\) or 2 \(per row\)/,
  );
  rejects(
    () => receiveUpdate([{ ...int8, scales: new Uint8Array(6) }]),
    /tensor 'w' scales: 6 bytes is not a whole number of 4-byte values/,
  );

  rejects(
    () => receiveUpdate([{ ...sparse, rowIndices: u32(4, 1) }]),
    /tensor 'e': row_indices not strictly increasing at position 1 \(1 after 4\)/,
  );
  rejects(() => receiveUpdate([{ ...sparse, rowIndices: u32(3, 3) }]), /not strictly increasing at position 1 \(3 after 3\)/);
  rejects(() => receiveUpdate([{ ...sparse, rowIndices: u32(1, 10) }]), /tensor 'e': row index 10 out of range for 10 rows/);
  rejects(() => receiveUpdate([{ ...sparse, rowIndices: new Uint8Array(7) }]), /tensor 'e' row_indices: 7 bytes/);
  rejects(
    () => receiveUpdate([{ ...sparse, data: f32(1, 2) }]),
    /tensor 'e': data has 8 bytes, expected 16 \(2 rows of shape \[10, 2\] as float32\)/,
  );
  rejects(() => receiveUpdate([{ ...sparse, rowWeights: f32(1) }]), /tensor 'e': row_weights has 1 values for 2 rows/);

  rejects(
    () => decodeModel(decodeEnvelope(encodeEnvelope({ model: { version: 1, tensors: [sparse] } })).model),
    /model tensor 'e' is sparse/,
  );
});

test('non-finite values pass the wire but assertFinite rejects them, naming the tensor', () => {
  const update = (values: Float32Array, dtype: 'float32' | 'float16' | 'int8'): ModelUpdate =>
    receiveUpdate(
      encodeUpdate(
        { delta: new Map([['layer1', { kind: 'dense', shape: [2, 2], values }]]), weight: 1, metrics: {} },
        {
          roundId: 'r',
          baseVersion: 0,
          dtype,
          perRowScale: true,
        },
      ).tensors ?? [],
    );
  for (const dtype of ['float32', 'float16', 'int8'] as const) {
    const received = update(Float32Array.of(1, 2, NaN, 4), dtype);
    assert.throws(
      () => assertFinite(received),
      (error: unknown) => {
        assert.ok(error instanceof StrataError && error.name === 'InvalidUpdateError');
        assert.equal((error as StrataError & { reason: string }).reason, 'non_finite');
        assert.match(error.message, /tensor 'layer1' has the non-finite value NaN at index 2/);
        return true;
      },
      dtype,
    );
  }
  assert.throws(() => assertFinite(update(Float32Array.of(1, 2, 1e6, 4), 'float16')), /tensor 'layer1' has the non-finite value Infinity/);
  assert.throws(() => assertFinite({ delta: new Map(), weight: NaN, metrics: {} }), /update weight is NaN/);
  assert.doesNotThrow(() => assertFinite(update(Float32Array.of(1, 2, 3, 4), 'int8')));
});

test('assertCompatible rejects unknown tensors and wrong shapes, naming the tensor and both shapes', () => {
  const model: ModelParams = new Map([['emb', { kind: 'dense', shape: [10, 4], values: new Float32Array(40) }]]);
  const updateOf = (name: string, value: TensorValue): ModelUpdate => ({ delta: new Map([[name, value]]), weight: 1, metrics: {} });
  const reason =
    (expected: string, pattern: RegExp) =>
    (error: unknown): boolean => {
      assert.equal((error as { reason?: string }).reason, expected);
      assert.match((error as Error).message, pattern);
      return true;
    };
  assert.throws(
    () => assertCompatible(updateOf('other', { kind: 'dense', shape: [1], values: new Float32Array(1) }), model),
    reason('unknown_tensor', /update tensor 'other' is not in the model/),
  );
  assert.throws(
    () => assertCompatible(updateOf('emb', { kind: 'dense', shape: [4, 10], values: new Float32Array(40) }), model),
    reason('shape', /update tensor 'emb' has shape \[4, 10\], the model's is \[10, 4\]/),
  );
  assert.throws(
    () =>
      assertCompatible(
        updateOf('emb', { kind: 'sparse', shape: [10, 4], rows: Uint32Array.of(3, 12), values: new Float32Array(8) }),
        model,
      ),
    reason('shape', /update tensor 'emb' has row 12, the model has 10 rows/),
  );
  assert.doesNotThrow(() =>
    assertCompatible(updateOf('emb', { kind: 'sparse', shape: [10, 4], rows: Uint32Array.of(3, 9), values: new Float32Array(8) }), model),
  );
  assert.doesNotThrow(() =>
    assertCompatible(
      decodeUpdate(encodeUpdate(updateOf('emb', model.get('emb') as TensorValue), { roundId: '', baseVersion: 0, dtype: 'int8' })).update,
      model,
    ),
  );
  assert.ok(encodeModel(model, 1).tensors?.length === 1);
});
