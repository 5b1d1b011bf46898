import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  decodeEnvelope,
  decodeModel,
  decodeUpdate,
  encodeEnvelope,
  encodeModel,
  encodeUpdate,
  ErrorFeedback,
  PROTOCOL_VERSION,
  strata,
  type ModelParams,
  type ModelUpdate,
  type TensorValue,
} from '../src/index.js';
import { denseTensors, sparseTensors } from './wire-arbitraries.js';

const updates: fc.Arbitrary<ModelUpdate> = fc
  .record({
    tensors: fc.uniqueArray(fc.tuple(fc.string({ minLength: 1, maxLength: 20 }), fc.oneof(denseTensors, sparseTensors)), {
      maxLength: 4,
      selector: ([name]) => name,
    }),
    weight: fc.double({ min: 0, max: 1e6, noNaN: true }),
    metrics: fc.dictionary(fc.string({ maxLength: 10 }), fc.double({ noNaN: true }), { noNullPrototype: true }),
  })
  .map(({ tensors, weight, metrics }) => ({ delta: new Map<string, TensorValue>(tensors), weight, metrics }));

test('uint64 fields decode as numbers', () => {
  const frame = encodeEnvelope({ chunk: { transferId: 2 ** 40 + 3, index: 0, count: 1, totalBytes: 2 ** 33, data: new Uint8Array(1) } });
  const { chunk } = decodeEnvelope(frame);
  assert.equal(chunk?.transferId, 2 ** 40 + 3);
  assert.equal(chunk?.totalBytes, 2 ** 33);
});

test('updates round trip through envelope frames with their round, version, weight and metrics', () => {
  fc.assert(
    fc.property(
      updates,
      fc.constantFrom('float32' as const, 'float16' as const, 'int8' as const),
      fc.boolean(),
      (update, dtype, perRowScale) => {
        const frame = encodeEnvelope({
          sender: 'device-7',
          update: encodeUpdate(update, { roundId: 'round-3', baseVersion: 12, dtype, perRowScale }),
        });
        const envelope = decodeEnvelope(frame);
        assert.equal(envelope.body, 'update');
        assert.equal(envelope.sender, 'device-7');
        const decoded = decodeUpdate(envelope.update);
        assert.equal(decoded.roundId, 'round-3');
        assert.equal(decoded.baseVersion, 12);
        assert.equal(decoded.update.weight, update.weight);
        assert.deepEqual(decoded.update.metrics, update.metrics);
        assert.deepEqual([...decoded.update.delta.keys()], [...update.delta.keys()]);
        for (const [name, value] of update.delta) {
          const back = decoded.update.delta.get(name) as TensorValue;
          assert.equal(back.kind, value.kind);
          assert.deepEqual(back.shape, value.shape);
          if (dtype === 'float32') assert.deepEqual([...back.values], [...value.values]);
        }
      },
    ),
    { seed: 31, numRuns: 150 },
  );
});

test('models round trip with their version and tensor order; float32 exactly', () => {
  const model: ModelParams = new Map([
    ['user_emb', { kind: 'dense', shape: [5, 3], values: Float32Array.from({ length: 15 }, (_, i) => i - 7.5) }],
    ['bias', { kind: 'dense', shape: [3], values: Float32Array.of(0.1, -0.2, 0.3) }],
  ]);
  for (const dtype of ['float32', 'float16', 'int8'] as const) {
    const decoded = decodeModel(decodeEnvelope(encodeEnvelope({ model: encodeModel(model, 42, dtype) })).model);
    assert.equal(decoded.version, 42);
    assert.deepEqual([...decoded.params.keys()], ['user_emb', 'bias']);
    for (const [name, tensor] of model) {
      const back = decoded.params.get(name);
      assert.ok(back);
      tensor.values.forEach((v, i) =>
        assert.ok(Math.abs(back.values[i] - v) <= (dtype === 'float32' ? 0 : 0.06), `${dtype} ${name}[${i}]`),
      );
    }
  }
});

test('a model travels inside a round request', () => {
  const model: ModelParams = new Map([['w', { kind: 'dense', shape: [2], values: Float32Array.of(1, 2) }]]);
  const envelope = decodeEnvelope(
    encodeEnvelope({
      roundRequest: {
        roundId: 'r',
        kind: strata.RoundRequest.Kind.EVALUATE,
        round: 3,
        localSteps: 5,
        model: encodeModel(model, 7),
        options: { mu: 0.01 },
      },
    }),
  );
  assert.equal(envelope.body, 'roundRequest');
  assert.equal(envelope.roundRequest?.kind, strata.RoundRequest.Kind.EVALUATE);
  assert.deepEqual(envelope.roundRequest?.options, { mu: 0.01 });
  assert.deepEqual([...(decodeModel(envelope.roundRequest?.model).params.get('w')?.values ?? [])], [1, 2]);
});

test('encodeUpdate with error feedback keeps residuals across calls', () => {
  const feedback = new ErrorFeedback();
  const update: ModelUpdate = {
    delta: new Map([['w', { kind: 'dense', shape: [1, 2], values: Float32Array.of(100, 0.1) }]]),
    weight: 1,
    metrics: {},
  };
  let sum = 0;
  for (let round = 0; round < 20; round++) {
    const message = encodeUpdate(update, { roundId: `r${round}`, baseVersion: round, dtype: 'int8', errorFeedback: feedback });
    sum += (decodeUpdate(message).update.delta.get('w') as TensorValue).values[1];
  }
  assert.ok(Math.abs(sum - 2) < 0.4, `20 rounds of 0.1 summed to ${sum}`);
});

/** Frames written by the aligned frame writer decode to the same message as protobufjs's own encoding. */
test('the frame writer produces what protobufjs encodes, with every tensor payload 4-byte aligned', () => {
  const payload = fc.integer({ min: 0, max: 70_000 }).map((n) => Uint8Array.from({ length: n }, (_, i) => (i * 31) & 0xff));
  const tensor = fc.record({
    name: fc.string({ minLength: 1, maxLength: 200, unit: 'grapheme' }),
    shape: fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 4 }),
    dtype: fc.constantFrom(0, 1, 2),
    data: payload,
    scales: payload.map((p) => p.subarray(0, p.length % 9)),
    sparse: fc.boolean(),
    rowIndices: payload.map((p) => p.subarray(0, p.length % 300)),
  });
  const envelopes = fc.record({
    seq: fc.nat(),
    sender: fc.string({ maxLength: 300 }),
    update: fc.record({
      roundId: fc.string(),
      baseVersion: fc.nat(),
      weight: fc.double({ noNaN: true }),
      tensors: fc.array(tensor, { maxLength: 4 }),
      metrics: fc.dictionary(fc.string({ maxLength: 150 }), fc.double({ noNaN: true }), { maxKeys: 5, noNullPrototype: true }),
    }),
  });
  fc.assert(
    fc.property(envelopes, (envelope) => {
      const frame = encodeEnvelope(envelope);
      const reference = strata.Envelope.encode({ ...envelope, protocol: PROTOCOL_VERSION }).finish();
      const ours = strata.Envelope.decode(frame);
      const theirs = strata.Envelope.decode(reference);
      assert.equal(ours.sender, theirs.sender);
      const a = ours.update as strata.Update;
      const b = theirs.update as strata.Update;
      assert.deepEqual([a.roundId, a.baseVersion, a.weight, { ...a.metrics }], [b.roundId, b.baseVersion, b.weight, { ...b.metrics }]);
      assert.equal(a.tensors.length, b.tensors.length);
      a.tensors.forEach((t, i) => {
        const r = b.tensors[i];
        assert.deepEqual([t.name, t.shape, t.dtype, t.sparse], [r.name, r.shape, r.dtype, r.sparse]);
        for (const field of ['data', 'scales', 'rowIndices'] as const) {
          const bytes = t[field] as Uint8Array;
          assert.deepEqual(Buffer.from(bytes), Buffer.from(r[field] as Uint8Array), field);
          if (bytes.length > 0) assert.equal(bytes.byteOffset % 4, 0, `${field} of ${bytes.length} bytes is aligned`);
        }
      });
      // At most 5 bytes of padding per bytes field, plus length prefixes that may grow by a byte each.
      assert.ok(frame.byteLength <= reference.byteLength + 15 * a.tensors.length + 3 + a.tensors.length, 'padding is small');
    }),
    { seed: 33, numRuns: 120 },
  );
});
