import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AsyncAggregator,
  FedAvg,
  InvalidUpdateError,
  Median,
  asyncConflict,
  asyncScheduleSchema,
  dense,
  scaleUpdate,
  stalenessSummary,
  stalenessWeight,
  type ModelParams,
  type ModelUpdate,
} from '../src/index.js';

const model = (values: number[]): ModelParams => new Map([['w', dense([values.length], Float32Array.from(values))]]);
const update = (values: number[], weight = 1): ModelUpdate => ({
  delta: new Map([['w', dense([values.length], Float32Array.from(values))]]),
  weight,
  metrics: {},
});
const valuesOf = (m: ModelParams): number[] => [...m.get('w')!.values];
const close = (actual: number[], expected: number[]): void => {
  assert.equal(actual.length, expected.length);
  actual.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-6, `[${i}] ${v} vs ${expected[i]}`));
};

test('the staleness weight is (1 + τ)^−a: 1/√(1+τ) by default, 1 for a fresh update, none with a = 0', () => {
  assert.equal(stalenessWeight(0, 0.5), 1);
  assert.equal(stalenessWeight(3, 0.5), 0.5);
  assert.equal(stalenessWeight(8, 0.5), 1 / 3);
  assert.equal(stalenessWeight(1, 1), 0.5);
  assert.equal(stalenessWeight(50, 0), 1);
  assert.throws(() => stalenessWeight(-1, 0.5), RangeError);
  assert.throws(() => stalenessWeight(1.5, 0.5), RangeError);
});

test('scaleUpdate scales the delta values (dense and sparse rows) and keeps weights and row weights', () => {
  const sparse: ModelUpdate = {
    delta: new Map([
      [
        'rows',
        {
          kind: 'sparse',
          shape: [4, 2],
          rows: Uint32Array.of(1, 3),
          values: Float32Array.of(1, 2, 3, 4),
          rowWeights: Float32Array.of(5, 6),
        },
      ],
    ]),
    weight: 7,
    metrics: { loss: 2 },
  };
  const scaled = scaleUpdate(sparse, 0.5);
  const rows = scaled.delta.get('rows')!;
  assert.deepEqual([...rows.values], [0.5, 1, 1.5, 2]);
  assert.equal(rows.kind === 'sparse' && [...rows.rowWeights!].join(), '5,6');
  assert.equal(scaled.weight, 7);
  assert.deepEqual([...sparse.delta.get('rows')!.values], [1, 2, 3, 4], 'the original is untouched');
  assert.throws(() => scaleUpdate(sparse, Number.NaN), RangeError);
});

test('FedBuff steps every K updates with the weighted mean of the staleness-scaled deltas', () => {
  const m = model([0, 0]);
  const steps: number[] = [];
  const aggregator = new AsyncAggregator({
    model: m,
    strategy: new FedAvg(),
    schedule: asyncScheduleSchema.parse({ mode: 'fedbuff', bufferSize: 2, maxStaleness: 10 }),
    version: 5,
    onStep: (_combined, version) => steps.push(version),
  });
  // Fresh (τ = 0, s = 1), weight 1.
  assert.deepEqual(aggregator.offer(update([2, 0], 1), 5), { staleness: 0, stalenessWeight: 1, stepped: false });
  close(valuesOf(m), [0, 0]);
  // Based on version 2: τ = 3, s = 1/2; weight 3.
  assert.deepEqual(aggregator.offer(update([0, 4], 3), 2), { staleness: 3, stalenessWeight: 0.5, stepped: true });
  // Weighted mean of [2, 0] (w 1) and [0, 2] (w 3): [0.5, 1.5].
  close(valuesOf(m), [0.5, 1.5]);
  assert.equal(aggregator.version, 6);
  assert.deepEqual(steps, [6]);
  // A half-full buffer steps on flush.
  aggregator.offer(update([1, 1]), 6);
  assert.equal(aggregator.buffered, 1);
  assert.equal(aggregator.flush(), true);
  assert.equal(aggregator.flush(), false);
  close(valuesOf(m), [1.5, 2.5]);
  assert.equal(aggregator.version, 7);
  assert.equal(aggregator.acceptedCount, 3);
});

test('FedAsync mixes each update in at once, moved by α × s(τ)', () => {
  const m = model([1, 1]);
  const aggregator = new AsyncAggregator({
    model: m,
    strategy: new FedAvg(),
    schedule: asyncScheduleSchema.parse({ mode: 'fedasync', mixing: 0.5, maxStaleness: 10 }),
    version: 0,
  });
  aggregator.offer(update([2, -2]), 0);
  close(valuesOf(m), [2, 0]);
  // τ = 1 now (version 1): s = 1/√2.
  const { staleness, stalenessWeight: s } = aggregator.offer(update([4, 4]), 0);
  assert.equal(staleness, 1);
  close(valuesOf(m), [2 + 0.5 * s * 4, 0.5 * s * 4]);
  assert.equal(aggregator.version, 2);
});

test('an update K versions old is accepted (down-weighted) within each bound and refused as too_stale beyond it', () => {
  for (const bound of [0, 1, 4, 16]) {
    for (const k of [0, 1, 2, 4, 5, 16, 17]) {
      const m = model([0]);
      const aggregator = new AsyncAggregator({
        model: m,
        strategy: new FedAvg(),
        schedule: asyncScheduleSchema.parse({ mode: 'fedasync', mixing: 1, maxStaleness: bound }),
        version: 100,
      });
      if (k <= bound) {
        const accepted = aggregator.offer(update([1]), 100 - k);
        assert.equal(accepted.staleness, k);
        close(valuesOf(m), [1 / Math.sqrt(1 + k)]);
      } else {
        assert.throws(
          () => aggregator.offer(update([1]), 100 - k),
          (error: unknown) =>
            error instanceof InvalidUpdateError && error.reason === 'too_stale' && error.message.includes(`bound is ${bound}`),
        );
        close(valuesOf(m), [0]);
        assert.equal(aggregator.acceptedCount, 0);
      }
    }
  }
});

test('an update claiming a version newer than the model is refused as stale', () => {
  const aggregator = new AsyncAggregator({
    model: model([0]),
    strategy: new FedAvg(),
    schedule: asyncScheduleSchema.parse({ mode: 'fedbuff' }),
    version: 3,
  });
  assert.throws(
    () => aggregator.offer(update([1]), 4),
    (error: unknown) => error instanceof InvalidUpdateError && error.reason === 'stale',
  );
});

test('FedBuff aggregates its buffer with a robust strategy (the median ignores an outlier)', () => {
  const m = model([0]);
  const aggregator = new AsyncAggregator({
    model: m,
    strategy: new Median(),
    schedule: asyncScheduleSchema.parse({ mode: 'fedbuff', bufferSize: 3, stalenessExponent: 0 }),
    version: 0,
  });
  aggregator.offer(update([1]), 0);
  aggregator.offer(update([2]), 0);
  aggregator.offer(update([1000]), 0);
  close(valuesOf(m), [2]);
});

test('nonsensical combinations are refused with a message that says what to use instead', () => {
  assert.equal(asyncConflict('sync', 'krum', 'central'), undefined);
  assert.equal(asyncConflict('fedbuff', 'krum', 'off'), undefined);
  assert.equal(asyncConflict('fedbuff', 'fedadam', 'off'), undefined);
  assert.equal(asyncConflict('fedasync', 'fedprox', 'off'), undefined);
  assert.match(asyncConflict('fedasync', 'median', 'off') ?? '', /use --schedule fedbuff/);
  assert.match(asyncConflict('fedasync', 'fedadam', 'off') ?? '', /must be fedavg or fedprox/);
  assert.match(asyncConflict('fedbuff', 'fedavg', 'central') ?? '', /differential privacy/);
  assert.throws(() => asyncScheduleSchema.parse({ mode: 'fedbuff', bufferSize: 0 }));
  assert.throws(() => asyncScheduleSchema.parse({ mode: 'eager' }));
});

test('a round record summarises its staleness histogram', () => {
  assert.deepEqual(stalenessSummary({ '0': 2, '3': 1, '7': 1 }), { updates: 4, mean: 2.5, max: 7 });
  assert.equal(stalenessSummary({}), undefined);
  assert.equal(stalenessSummary(undefined), undefined);
});
