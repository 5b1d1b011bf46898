// Zero rows (rows a sender changed but holds back, see SparseRows): the weighted mean counts each as a zero
// change at its weight, which must equal sending that zero; the wire carries them as a bitmask whose every
// bit and weight is checked; the edge's cumulative delta keeps the rows only held back for the cloud.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  CumulativeDelta,
  FedAvg,
  InvalidUpdateError,
  SeededRandom,
  WireFormatError,
  checkTrainingAnswer,
  dense,
  decodeTensor,
  encodeTensor,
  type ModelParams,
  type SparseRows,
} from '../src/index.js';
import { sparseWeightedMean } from '../src/fl/aggregation/sparse-weighted-mean.js';

/** Random inputs over a table of `tableRows`: sent rows, and (maybe) held rows disjoint from them. */
function randomInputs(random: SeededRandom, n: number, tableRows: number, width: number, withZeroRows: boolean): SparseRows[] {
  return Array.from({ length: n }, () => {
    const sent: number[] = [];
    const held: number[] = [];
    for (let r = 0; r < tableRows; r++) {
      const x = random.next();
      if (x < 0.3) sent.push(r);
      else if (withZeroRows && x < 0.6) held.push(r);
    }
    const rows = Uint32Array.from(sent);
    const zeroRows = Uint32Array.from(held);
    const values = Float32Array.from({ length: rows.length * width }, () => random.next() * 2 - 1);
    const weighted = random.next() < 0.5;
    return {
      kind: 'sparse',
      shape: [tableRows, width],
      rows,
      values,
      ...(weighted ? { rowWeights: Float32Array.from(rows, () => 1 + random.int(9)) } : {}),
      ...(withZeroRows ? { zeroRows } : {}),
      ...(withZeroRows && weighted ? { zeroRowWeights: Float32Array.from(zeroRows, () => 1 + random.int(9)) } : {}),
    };
  });
}

/** The same input with its zero rows sent as rows of zeros (the definition zero rows must match). */
function withExplicitZeros(t: SparseRows, width: number): SparseRows {
  const zeroRows = t.zeroRows ?? new Uint32Array(0);
  const all = [...t.rows, ...zeroRows].sort((a, b) => a - b);
  const values = new Float32Array(all.length * width);
  const rowWeights = t.rowWeights ? new Float32Array(all.length) : undefined;
  all.forEach((row, k) => {
    const sent = t.rows.indexOf(row);
    if (sent >= 0) {
      values.set(t.values.subarray(sent * width, (sent + 1) * width), k * width);
      if (rowWeights && t.rowWeights) rowWeights[k] = t.rowWeights[sent];
    } else if (rowWeights && t.zeroRowWeights) {
      rowWeights[k] = t.zeroRowWeights[zeroRows.indexOf(row)];
    }
  });
  return { kind: 'sparse', shape: t.shape, rows: Uint32Array.from(all), values, ...(rowWeights ? { rowWeights } : {}) };
}

test('held rows count in the mean exactly as sending their zeros would, and rows only held stay zero rows', () => {
  fc.assert(
    fc.property(fc.integer(), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 4 }), (seed, n, width) => {
      const random = new SeededRandom(seed);
      const tableRows = 1 + random.int(200);
      const inputs = randomInputs(random, n, tableRows, width, true);
      const weights = inputs.map(() => 1 + random.int(100));
      const out = sparseWeightedMean([tableRows, width], inputs, weights);
      const reference = sparseWeightedMean(
        [tableRows, width],
        inputs.map((t) => withExplicitZeros(t, width)),
        weights,
      );
      // Sent rows: the same means and weights as with the zeros sent.
      const byRow = new Map([...reference.rows].map((row, u) => [row, u]));
      out.rows.forEach((row, u) => {
        const v = byRow.get(row);
        assert.ok(v !== undefined, `row ${row}`);
        assert.ok(Math.abs(out.rowWeights![u] - reference.rowWeights![v]) <= 1e-3 * reference.rowWeights![v]);
        for (let c = 0; c < width; c++) {
          assert.ok(Math.abs(out.values[u * width + c] - reference.values[v * width + c]) < 1e-5, `row ${row} col ${c}`);
        }
      });
      // Rows nobody sent: zero rows carrying the weight held for them, and in the reference a zero mean.
      const sent = new Set(out.rows);
      const onlyHeld = [...reference.rows].filter((row) => !sent.has(row));
      assert.deepEqual([...(out.zeroRows ?? [])], onlyHeld);
      onlyHeld.forEach((row, k) => {
        const v = byRow.get(row)!;
        assert.ok(Math.abs(out.zeroRowWeights![k] - reference.rowWeights![v]) <= 1e-3 * reference.rowWeights![v]);
        for (let c = 0; c < width; c++) assert.equal(reference.values[v * width + c], 0);
      });
    }),
    { numRuns: 150 },
  );
});

test('without held rows the mean is the plain per-row weighted mean, bit for bit, and carries no zero rows', () => {
  const random = new SeededRandom(5);
  for (let trial = 0; trial < 20; trial++) {
    const inputs = randomInputs(random, 4, 120, 3, false);
    const weights = inputs.map(() => 1 + random.int(50));
    const plain = sparseWeightedMean([120, 3], inputs, weights);
    const emptyHeld = sparseWeightedMean(
      [120, 3],
      inputs.map((t) => ({ ...t, zeroRows: new Uint32Array(0), ...(t.rowWeights ? { zeroRowWeights: new Float32Array(0) } : {}) })),
      weights,
    );
    assert.deepEqual(emptyHeld, plain);
    assert.equal(plain.zeroRows, undefined);
  }
});

test('FedAvg dilutes a row by the devices that hold it back: one sends 3, two hold it, the row moves by 1', () => {
  const shape = [4, 1];
  const update = (rows: number[], values: number[], zeroRows: number[]) => ({
    delta: new Map([
      [
        't',
        {
          kind: 'sparse',
          shape,
          rows: Uint32Array.from(rows),
          values: Float32Array.from(values),
          zeroRows: Uint32Array.from(zeroRows),
        } as SparseRows,
      ],
    ]),
    weight: 10,
    metrics: {},
  });
  const combined = new FedAvg().aggregate([update([1], [3], [2]), update([], [], [1]), update([], [], [1, 2])]);
  const t = combined.delta.get('t') as SparseRows;
  assert.deepEqual([...t.rows], [1]);
  assert.deepEqual([...t.values], [1]);
  assert.deepEqual([...t.rowWeights!], [30]);
  assert.deepEqual([...t.zeroRows!], [2]);
  assert.deepEqual([...t.zeroRowWeights!], [20]);
});

test('aggregation refuses held rows that are also sent, out of order or out of range, or weighted unlike the rows', () => {
  const base = { kind: 'sparse', shape: [8, 1], rows: Uint32Array.of(2, 5), values: Float32Array.of(1, 1) } as const;
  const bad: [string, SparseRows][] = [
    ['sent and held', { ...base, zeroRows: Uint32Array.of(1, 5) }],
    ['out of order', { ...base, zeroRows: Uint32Array.of(4, 3) }],
    ['out of range', { ...base, zeroRows: Uint32Array.of(8) }],
    ['weights without row weights', { ...base, zeroRows: Uint32Array.of(1), zeroRowWeights: Float32Array.of(1) }],
    ['no weights beside row weights', { ...base, rowWeights: Float32Array.of(1, 1), zeroRows: Uint32Array.of(1) }],
  ];
  for (const [what, t] of bad) {
    assert.throws(() => new FedAvg().aggregate([{ delta: new Map([['t', t]]), weight: 1, metrics: {} }]), InvalidUpdateError, what);
  }
});

test('zero rows cross the wire as a bitmask (with their weights when rows have them), in every dtype', () => {
  for (const rowCount of [1, 7, 8, 9, 117649]) {
    const random = new SeededRandom(rowCount);
    const [input] = randomInputs(random, 1, rowCount, 2, true);
    for (const dtype of ['float32', 'float16', 'int8'] as const) {
      const message = encodeTensor('t', input, { dtype, perRowScale: true });
      if ((input.zeroRows?.length ?? 0) > 0) assert.equal(message.zeroRowMask?.length, Math.ceil(rowCount / 8));
      const { value } = decodeTensor(message);
      assert.equal(value.kind, 'sparse');
      const decoded = value as SparseRows;
      assert.deepEqual([...(decoded.zeroRows ?? [])], [...(input.zeroRows ?? [])]);
      assert.deepEqual([...(decoded.zeroRowWeights ?? [])], [...((input.zeroRows?.length ?? 0) > 0 ? (input.zeroRowWeights ?? []) : [])]);
    }
  }
});

test('a hostile zero-row mask or weight is refused by the decoder, the answer checks and the finite check', () => {
  const sent: SparseRows = { kind: 'sparse', shape: [10, 1], rows: Uint32Array.of(3), values: Float32Array.of(1) };
  const good = encodeTensor('t', { ...sent, zeroRows: Uint32Array.of(0, 9) }, { dtype: 'float32' });
  assert.deepEqual([...(decodeTensor(good).value as SparseRows).zeroRows!], [0, 9]);
  const cases: [string, object, RegExp][] = [
    ['short mask', { zeroRowMask: Uint8Array.of(1) }, /expected 2/],
    ['bit past the last row', { zeroRowMask: Uint8Array.of(1, 0b100) }, /past the last/],
    // One row of ten is named by a row mask (2 bytes against a 4-byte index).
    ['bit on a sent row', { zeroRowMask: Uint8Array.of(0b1000, 0) }, /row 3 is both in row_mask and in zero_row_mask/],
    ['weights without row weights', { zeroRowWeights: new Uint8Array(8) }, /exactly when row_weights/],
    ['weights without a mask', { zeroRowMask: undefined, zeroRowWeights: new Uint8Array(4) }, /without zero_row_mask/],
  ];
  for (const [what, change, message] of cases) {
    assert.throws(
      () => decodeTensor({ ...good, ...change }),
      (e: unknown) => e instanceof WireFormatError && message.test(e.message),
      what,
    );
  }
  const weighted = encodeTensor(
    't',
    { ...sent, rowWeights: Float32Array.of(1), zeroRows: Uint32Array.of(0, 9), zeroRowWeights: Float32Array.of(1, 2) },
    { dtype: 'float32' },
  );
  assert.throws(() => decodeTensor({ ...weighted, zeroRowWeights: new Uint8Array(4) }), /zero_row_weights has 1 values for 2 zero rows/);
  assert.throws(
    () => decodeTensor({ ...encodeTensor('d', dense([10, 1]), { dtype: 'float32' }), zeroRowMask: new Uint8Array(2) }),
    /dense tensor/,
  );

  // Answer checks: a negative held weight is refused, one above the task's row cap clipped and counted.
  const model: ModelParams = new Map([['t', dense([10, 1])]]);
  const limits = { maxDeviceWeight: 100, maxRowWeight: { base: 5, perWeight: 0 }, maxEvaluationCount: 0, metricRanges: {} };
  const answer = (zeroRowWeights: Float32Array) => ({
    roundId: 'r',
    baseVersion: 1,
    sender: 'd',
    update: {
      delta: new Map([['t', { ...sent, rowWeights: Float32Array.of(1), zeroRows: Uint32Array.of(0, 9), zeroRowWeights } as SparseRows]]),
      weight: 10,
      metrics: {},
    },
  });
  const expected = { roundId: 'r', baseVersion: 1, sender: 'd', limits };
  assert.throws(() => checkTrainingAnswer(answer(Float32Array.of(1, -1)), expected, model), /negative zero row weight -1 for row 9/);
  assert.throws(() => checkTrainingAnswer(answer(Float32Array.of(1, Number.NaN)), expected, model), InvalidUpdateError);
  const { update, clipped } = checkTrainingAnswer(answer(Float32Array.of(1, 1e9)), expected, model);
  assert.equal(clipped.rowWeights, 1);
  assert.deepEqual([...(update.delta.get('t') as SparseRows).zeroRowWeights!], [1, 5]);
});

test("the edge's cumulative delta sends rows only held back as zero rows, and adds held weight to rows sent", () => {
  const base: ModelParams = new Map([['t', dense([6, 1])]]);
  const current: ModelParams = new Map([['t', dense([6, 1], Float32Array.of(0, 0.5, 0, 0, 0, 0))]]);
  const delta = new CumulativeDelta(base);
  const t = (rows: number[], rowWeights: number[], zeroRows: number[], zeroRowWeights: number[]): SparseRows => ({
    kind: 'sparse',
    shape: [6, 1],
    rows: Uint32Array.from(rows),
    values: new Float32Array(rows.length),
    rowWeights: Float32Array.from(rowWeights),
    zeroRows: Uint32Array.from(zeroRows),
    zeroRowWeights: Float32Array.from(zeroRowWeights),
  });
  delta.record({ delta: new Map([['t', t([1], [4], [3, 4], [2, 6])]]), weight: 10, metrics: {} });
  delta.record({ delta: new Map([['t', t([3], [1], [1], [3])]]), weight: 10, metrics: {} });
  const out = delta.result(current).delta.get('t') as SparseRows;
  assert.deepEqual([...out.rows], [1, 3]);
  assert.deepEqual([...out.values], [0.5, 0]);
  assert.deepEqual([...out.rowWeights!], [7, 3]);
  assert.deepEqual([...out.zeroRows!], [4]);
  assert.deepEqual([...out.zeroRowWeights!], [6]);
});
