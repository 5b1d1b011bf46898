// checkEdgeUpdate: an honest edge's update passes however close to the task's caps its devices were (the bound
// is exact: one answer fewer and it is refused), and what no honest edge could send is refused as bad_weight.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CumulativeDelta,
  InvalidUpdateError,
  checkEdgeUpdate,
  createStrategy,
  dense,
  type ModelParams,
  type ModelUpdate,
  type SparseRows,
  type TaskLimits,
} from '../src/index.js';

const LIMITS: TaskLimits = { maxDeviceWeight: 10, maxRowWeight: { base: 2, perWeight: 1 }, maxEvaluationCount: 1, metricRanges: {} };
const SHAPE = [6, 2];
const base: ModelParams = new Map([['table', dense(SHAPE, new Float32Array(12))]]);

/** A device at the caps: weight 10, rows `rows` and held-back rows `held`, each weighing 12 (2 + 1 × 10). */
function device(rows: number[], held: number[]): ModelUpdate {
  const value: SparseRows = {
    kind: 'sparse',
    shape: SHAPE,
    rows: Uint32Array.from(rows),
    values: new Float32Array(rows.length * 2).fill(0.5),
    zeroRows: Uint32Array.from(held),
    rowWeights: new Float32Array(rows.length).fill(12),
    zeroRowWeights: new Float32Array(held.length).fill(12),
  };
  return { delta: new Map([['table', value]]), weight: 10, metrics: {} };
}

/** Two edge iterations of three devices each, row 0 sent by every one, row 5 only ever held back. */
function honestEdgeUpdate(): ModelUpdate {
  const fedavg = createStrategy('fedavg');
  const cumulative = new CumulativeDelta(base);
  for (let iteration = 0; iteration < 2; iteration++) {
    cumulative.record(fedavg.aggregate([device([0, 1], [5]), device([0, 2], [5]), device([0, 3], [4, 5])]));
  }
  return cumulative.result(base);
}

const refused = (pattern: RegExp) => (error: unknown) =>
  error instanceof InvalidUpdateError && error.reason === 'bad_weight' && pattern.test(error.message);

test("an honest edge's update at the caps passes, and the same update with one answer fewer is refused", () => {
  const update = honestEdgeUpdate();
  const table = update.delta.get('table') as SparseRows;
  assert.equal(table.rowWeights![0], 72, 'row 0: six answers of row weight 12 each');
  assert.deepEqual([...table.zeroRows!], [4, 5]);
  checkEdgeUpdate(update, 6, LIMITS);
  assert.throws(
    () => checkEdgeUpdate(update, 5, LIMITS),
    refused(/row weight 72 for row 0: more than its 5 device answers can weigh \(5 × 12\)/),
  );
  assert.throws(() => checkEdgeUpdate(update, 2, LIMITS), refused(/edge update weight 30 is more than its 2 device answers can weigh/));
});

test('negative, NaN and non-positive weights are refused; without limits only they are', () => {
  const update = honestEdgeUpdate();
  const table = update.delta.get('table') as SparseRows;
  const withZeroWeights = (weights: number[]): ModelUpdate => ({
    ...update,
    delta: new Map([['table', { ...table, zeroRowWeights: Float32Array.from(weights) }]]),
  });
  assert.throws(() => checkEdgeUpdate(withZeroWeights([-1, 1]), 6, LIMITS), refused(/zero row weight -1 for row 4: negative/));
  assert.throws(
    () => checkEdgeUpdate(withZeroWeights([1, Number.NaN]), 6, undefined),
    refused(/zero row weight NaN for row 5: not a number/),
  );
  assert.throws(() => checkEdgeUpdate({ ...update, weight: 0 }, 6, undefined), refused(/weight must be positive, got 0/));
  checkEdgeUpdate(withZeroWeights([1e30, 1]), 1, undefined);
  checkEdgeUpdate({ ...update, weight: 1e30 }, 1, undefined);
});
