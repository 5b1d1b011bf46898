import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  compressionSchema,
  ConfigError,
  decodeEnvelope,
  decodeTensor,
  decodeUpdate,
  encodeEnvelope,
  encodeTensor,
  ErrorFeedback,
  SeededRandom,
  strata,
  topKIndices,
  UpdateEncoder,
  decodeUpdateReply,
  WireFormatError,
  type ModelUpdate,
  type TensorValue,
} from '../src/index.js';

const u32 = (...values: number[]): Uint8Array => new Uint8Array(Uint32Array.from(values).buffer);
const f32 = (...values: number[]): Uint8Array => new Uint8Array(Float32Array.from(values).buffer);

function normals(random: SeededRandom, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => random.normal());
}

/** The reference: indices of the k largest |value|, ties to the lower index, sorted ascending. */
function topKBySorting(values: Float32Array, k: number): number[] {
  return [...values.keys()]
    .sort((a, b) => Math.abs(values[b]) - Math.abs(values[a]) || a - b)
    .slice(0, k)
    .sort((a, b) => a - b);
}

function rejectsWire(action: () => unknown, message: RegExp): void {
  assert.throws(action, (error: unknown) => {
    assert.ok(error instanceof WireFormatError, `expected WireFormatError, got ${String(error)}`);
    assert.match(error.message, message);
    return true;
  });
}

test('topKIndices agrees with sorting by magnitude, ties included, for every k', () => {
  const random = new SeededRandom(16);
  // Few distinct magnitudes (many ties, both signs) and wide-ranging ones (several radix buckets).
  const tied = Float32Array.from({ length: 300 }, () => (random.int(7) - 3) * 0.25);
  const wide = Float32Array.from({ length: 300 }, () => random.normal() * 10 ** (random.int(8) - 4));
  for (const values of [tied, wide]) {
    for (const k of [0, 1, 2, 17, 150, 299, 300]) {
      assert.deepEqual([...topKIndices(values, k)], topKBySorting(values, k), `k = ${k}`);
    }
  }
});

test('topKIndices on large arrays agrees with sorting, whether its sampled threshold holds or misleads', () => {
  const random = new SeededRandom(17);
  const n = 1 << 17;
  const normal = normals(random, n);
  const tied = Float32Array.from({ length: n }, () => (random.int(41) - 20) * 0.5);
  // The sampled positions (every 64th) hold the largest values, or the smallest: the sample overstates or
  // understates the others, and the selection must still be exact.
  const sampledLarge = Float32Array.from({ length: n }, (_, i) => (i % 64 === 0 ? 100 + random.normal() : random.normal()));
  const sampledSmall = Float32Array.from({ length: n }, (_, i) => (i % 64 === 0 ? 1e-6 * random.normal() : random.normal()));
  // A length that is no multiple of the kernel's 16 values, the largest values past the last whole step.
  const tail = Float32Array.from({ length: n + 13 }, (_, i) => (i >= n ? 50 + i - n : random.normal()));
  for (const [label, values] of Object.entries({ normal, tied, sampledLarge, sampledSmall, tail })) {
    for (const k of [1, Math.ceil(n / 100), n / 8]) {
      assert.deepEqual([...topKIndices(values, k)], topKBySorting(values, k), `${label}, k = ${k}`);
    }
  }
});

test('topKIndices ranks NaN and infinity first, and refuses a k it cannot give', () => {
  const values = Float32Array.from([1, Number.NaN, -2, Number.NEGATIVE_INFINITY, 3]);
  assert.deepEqual([...topKIndices(values, 2)], [1, 3]);
  assert.throws(() => topKIndices(values, 6), RangeError);
  assert.throws(() => topKIndices(values, 1.5), RangeError);
});

test('a top-k tensor round-trips: the k largest elements exactly, zero elsewhere, far fewer bytes', () => {
  const random = new SeededRandom(1601);
  const values = normals(random, 64 * 50);
  const value: TensorValue = { kind: 'dense', shape: [64, 50], values };
  const k = Math.ceil(0.01 * values.length);
  const expected = topKBySorting(values, k);
  for (const dtype of ['float32', 'float16', 'int8'] as const) {
    const message = encodeTensor('w', value, { dtype, topKFraction: 0.01 });
    const frame = encodeEnvelope({ update: { roundId: 'r', tensors: [message] } });
    assert.ok(frame.byteLength < values.byteLength / 10, `${dtype}: ${frame.byteLength} bytes`);
    const decoded = decodeUpdate(decodeEnvelope(frame).update).update.delta.get('w');
    assert.ok(decoded?.kind === 'dense');
    assert.deepEqual(decoded.shape, [64, 50]);
    const nonZero = [...decoded.values.keys()].filter((i) => decoded.values[i] !== 0);
    assert.deepEqual(nonZero, expected, dtype);
    const tolerance = dtype === 'float32' ? 0 : dtype === 'float16' ? 2e-3 : 0.02;
    for (const i of expected) {
      assert.ok(Math.abs(decoded.values[i] - values[i]) <= tolerance * Math.abs(values[i]) + 1e-12, `${dtype} at ${i}`);
    }
  }
});

test('sparse rows are sent whole under top-k; a fraction of 1 sends the dense tensor as before', () => {
  const sparse: TensorValue = {
    kind: 'sparse',
    shape: [10, 3],
    rows: Uint32Array.from([2, 7]),
    values: Float32Array.from([1, 2, 3, 4, 5, 6]),
  };
  const decodedSparse = decodeTensor(encodeTensor('e', sparse, { dtype: 'float32', topKFraction: 0.1 })).value;
  assert.deepEqual(decodedSparse, { ...sparse, values: decodedSparse.values });
  assert.deepEqual([...decodedSparse.values], [1, 2, 3, 4, 5, 6]);
  const dense: TensorValue = { kind: 'dense', shape: [4], values: Float32Array.from([1, -2, 3, -4]) };
  const message = encodeTensor('b', dense, { dtype: 'float32', topKFraction: 1 });
  assert.equal(message.elementIndices, undefined);
  assert.deepEqual([...decodeTensor(message).value.values], [1, -2, 3, -4]);
});

test('error feedback keeps what top-k did not send: residual is exactly the rest, and it is sent later', () => {
  const random = new SeededRandom(1602);
  const feedback = new ErrorFeedback();
  const n = 500;
  const fraction = 0.02;
  const sentSum = new Float64Array(n);
  const trueSum = new Float64Array(n);
  for (let round = 0; round < 80; round++) {
    // Element 0 drifts by a constant each round: never among the largest in one round (about 2.3 sigma
    // makes the top 2%), but its accumulated residual must grow until it is, again and again.
    const values = normals(random, n);
    values[0] = 0.5;
    const value: TensorValue = { kind: 'dense', shape: [n], values };
    const before = feedback.residual('w')?.slice() ?? new Float32Array(n);
    const received = decodeTensor(feedback.encode('w', value, { dtype: 'float32', topKFraction: fraction })).value.values;
    const residual = feedback.residual('w');
    assert.ok(residual);
    let sent = 0;
    for (let i = 0; i < n; i++) {
      const compensated = Math.fround(values[i] + before[i]);
      if (received[i] !== 0) {
        sent++;
        assert.equal(received[i], compensated, `round ${round}: element ${i} sent with its residual`);
        assert.equal(residual[i], 0, `round ${round}: element ${i} was sent, nothing kept`);
      } else {
        assert.equal(residual[i], compensated, `round ${round}: element ${i} not sent, all of it kept`);
      }
      sentSum[i] += received[i];
      trueSum[i] += values[i];
    }
    assert.equal(sent, Math.ceil(fraction * n));
  }
  // Whatever was sent plus what is still held is the sum of every update (float32 rounding aside).
  const residual = feedback.residual('w')!;
  for (let i = 0; i < n; i++) assert.ok(Math.abs(sentSum[i] + residual[i] - trueSum[i]) < 1e-3, `element ${i}`);
  assert.ok(sentSum[0] > 0.5 * 80 * 0.5, `the drifting element sent ${sentSum[0]} of ${trueSum[0]}`);
});

test('an UpdateEncoder with a top-k fraction keeps error feedback by default and sends smaller frames', () => {
  const random = new SeededRandom(1603);
  const update: ModelUpdate = {
    delta: new Map([['w', { kind: 'dense', shape: [100, 40], values: normals(random, 4000) }]]),
    weight: 5,
    metrics: { loss: 1 },
  };
  const header = { sender: 'device-1', roundId: 'round-1', baseVersion: 3 };
  const full = new UpdateEncoder(compressionSchema.parse({})).encode(update, header);
  const sparse = new UpdateEncoder(compressionSchema.parse({ topKFraction: 0.05 })).encode(update, header);
  assert.ok(sparse.byteLength < full.byteLength / 5, `${sparse.byteLength} vs ${full.byteLength} bytes`);
  const decoded = decodeUpdateReply(sparse).update.delta.get('w')!;
  assert.equal(decoded.values.filter((v) => v !== 0).length, 200);
});

test('bad top-k options are refused naming the problem', () => {
  for (const topKFraction of [0, -0.1, 1.5, Number.NaN]) {
    assert.equal(compressionSchema.safeParse({ topKFraction }).success, false, `schema takes ${topKFraction}`);
    assert.throws(
      () => encodeTensor('w', { kind: 'dense', shape: [4], values: new Float32Array(4) }, { dtype: 'float32', topKFraction }),
      (error: unknown) => error instanceof ConfigError && /top-k fraction/.test(error.message) && error.code === 'STRATA_ERR_CONFIG',
    );
  }
});

test('a malformed top-k tensor is refused naming the problem', () => {
  const tensor = (fields: Partial<strata.ITensor>): strata.ITensor => ({
    name: 'w',
    shape: [10],
    dtype: strata.DType.FLOAT32,
    elementIndices: u32(1, 4),
    data: f32(0.5, -0.5),
    ...fields,
  });
  assert.deepEqual([...decodeTensor(tensor({})).value.values], [0, 0.5, 0, 0, -0.5, 0, 0, 0, 0, 0]);
  rejectsWire(() => decodeTensor(tensor({ elementIndices: u32(4, 1) })), /element_indices not strictly increasing at position 1/);
  rejectsWire(() => decodeTensor(tensor({ elementIndices: u32(4, 4) })), /element_indices not strictly increasing/);
  rejectsWire(() => decodeTensor(tensor({ elementIndices: u32(1, 10) })), /element index 10 out of range for 10 elements/);
  rejectsWire(() => decodeTensor(tensor({ data: f32(0.5) })), /data has 4 bytes, expected 8 \(2 top-k elements as float32\)/);
  rejectsWire(() => decodeTensor(tensor({ elementIndices: new Uint8Array(6) })), /element_indices/);
  rejectsWire(
    () => decodeTensor(tensor({ sparse: true, rowIndices: u32(1), shape: [10, 2] })),
    /element_indices given \(8 bytes\) on a sparse tensor/,
  );
  rejectsWire(
    () => decodeTensor(tensor({ dtype: strata.DType.INT8, data: new Uint8Array([1, 2]), scales: f32(0.1, 0.2) })),
    /scales has 2 values, expected 1/,
  );
});
