import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '@strata/shared';
import { BprKernel, type BprOptimizer, type BprTables } from '../src/recsys/index.js';

const dim = 8;
const reg = 0.03;

/** Two users, four items, random rows; biases when asked. */
function makeTables(withBias: boolean, optimizer: BprOptimizer): BprTables {
  const random = new SeededRandom(11);
  const fill = (n: number, scale: number): Float32Array => Float32Array.from({ length: n }, () => random.normal() * scale);
  return {
    dim,
    users: fill(2 * dim, 0.5),
    items: fill(4 * dim, 0.5),
    itemBias: withBias ? fill(4, 0.3) : null,
    userState: optimizer === 'sgd' ? null : new Float32Array(2),
    itemState: optimizer === 'sgd' ? null : new Float32Array(4),
    biasState: optimizer === 'sgd' || !withBias ? null : new Float32Array(4),
  };
}

/** -log sigmoid(x), in float64. */
function softplusNeg(x: number): number {
  return x > 0 ? Math.log1p(Math.exp(-x)) : -x + Math.log1p(Math.exp(x));
}

/** The objective of one triple, in float64, as a function of the parameters it touches. */
function objective(t: BprTables, u: number, i: number, j: number): number {
  let x = 0;
  let l2 = 0;
  for (let k = 0; k < dim; k++) {
    const wu = t.users[u * dim + k];
    const hi = t.items[i * dim + k];
    const hj = t.items[j * dim + k];
    x += wu * (hi - hj);
    l2 += wu * wu + hi * hi + hj * hj;
  }
  if (t.itemBias) {
    x += t.itemBias[i] - t.itemBias[j];
    l2 += t.itemBias[i] ** 2 + t.itemBias[j] ** 2;
  }
  return softplusNeg(x) + (reg / 2) * l2;
}

/** Central finite differences of the objective w.r.t. every float of `array` (float64 copies of the tables). */
function numericGradient(t: BprTables, array: 'users' | 'items' | 'itemBias', u: number, i: number, j: number): Float64Array {
  const wide = {
    ...t,
    users: Float64Array.from(t.users),
    items: Float64Array.from(t.items),
    itemBias: t.itemBias ? Float64Array.from(t.itemBias) : null,
  } as unknown as BprTables;
  const target = wide[array] as unknown as Float64Array;
  const out = new Float64Array(target.length);
  const h = 1e-6;
  for (let k = 0; k < target.length; k++) {
    const saved = target[k];
    target[k] = saved + h;
    const plus = objective(wide, u, i, j);
    target[k] = saved - h;
    const minus = objective(wide, u, i, j);
    target[k] = saved;
    out[k] = (plus - minus) / (2 * h);
  }
  return out;
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, what: string): void {
  assert.equal(actual.length, expected.length);
  for (let k = 0; k < actual.length; k++) {
    assert.ok(Math.abs(actual[k] - expected[k]) <= tolerance, `${what}[${k}]: ${actual[k]} vs ${expected[k]}`);
  }
}

for (const withBias of [false, true]) {
  test(`SGD step follows the finite-difference gradient of the BPR objective${withBias ? ' (with item biases)' : ''}`, () => {
    const t = makeTables(withBias, 'sgd');
    const [u, i, j] = [1, 3, 0];
    const expected = {
      users: numericGradient(t, 'users', u, i, j),
      items: numericGradient(t, 'items', u, i, j),
      itemBias: withBias ? numericGradient(t, 'itemBias', u, i, j) : null,
    };
    const before = { users: t.users.slice(), items: t.items.slice(), itemBias: t.itemBias?.slice() };
    const lr = 0.5;
    const kernel = new BprKernel(t, { userOptimizer: 'sgd', userLearningRate: lr, itemOptimizer: 'sgd', itemLearningRate: lr, reg });
    const loss = kernel.step(u, i, j);
    const stepOf = (after: Float32Array, prior: Float32Array): number[] => Array.from(after, (v, k) => (prior[k] - v) / lr);
    assertClose(stepOf(t.users, before.users), expected.users, 2e-6, 'user gradient');
    assertClose(stepOf(t.items, before.items), expected.items, 2e-6, 'item gradient');
    if (withBias && t.itemBias && before.itemBias && expected.itemBias) {
      assertClose(stepOf(t.itemBias, before.itemBias), expected.itemBias, 2e-6, 'bias gradient');
    }
    // Rows the triple does not touch do not move; the returned loss is the BPR term before the step.
    assert.deepEqual(Array.from(t.users.subarray(0, dim)), Array.from(before.users.subarray(0, dim)));
    assert.deepEqual(Array.from(t.items.subarray(dim, 3 * dim)), Array.from(before.items.subarray(dim, 3 * dim)));
    const beforeTables = { ...t, users: before.users, items: before.items, itemBias: before.itemBias ?? null };
    let l2 = 0;
    for (const [arr, row] of [
      [before.users, u],
      [before.items, i],
      [before.items, j],
    ] as const) {
      for (let k = 0; k < dim; k++) l2 += arr[row * dim + k] ** 2;
    }
    if (before.itemBias) l2 += before.itemBias[i] ** 2 + before.itemBias[j] ** 2;
    assert.ok(Math.abs(loss - (objective(beforeTables, u, i, j) - (reg / 2) * l2)) < 1e-6);
  });
}

test('row-wise Adagrad: per-row state gains the mean squared gradient; the step is lr * g / sqrt(state)', () => {
  const t = makeTables(true, 'rowwise-adagrad');
  const [u, i, j] = [0, 2, 1];
  const gUser = numericGradient(t, 'users', u, i, j).subarray(u * dim, u * dim + dim);
  const gItems = numericGradient(t, 'items', u, i, j);
  const gBias = numericGradient(t, 'itemBias', u, i, j);
  const before = { users: t.users.slice(), items: t.items.slice(), itemBias: (t.itemBias as Float32Array).slice() };
  const lr = 0.1;
  new BprKernel(t, {
    userOptimizer: 'rowwise-adagrad',
    userLearningRate: lr,
    itemOptimizer: 'rowwise-adagrad',
    itemLearningRate: lr,
    reg,
  }).step(u, i, j);
  const meanSquare = (g: ArrayLike<number>): number => Array.from(g).reduce((a, v) => a + v * v, 0) / g.length;
  const userState = meanSquare(gUser);
  const itemState = (row: number): number => meanSquare(gItems.subarray(row * dim, row * dim + dim));
  assert.ok(Math.abs((t.userState as Float32Array)[u] - userState) < 1e-6 * Math.max(1, userState));
  assert.ok(Math.abs((t.itemState as Float32Array)[i] - itemState(i)) < 1e-6);
  assert.ok(Math.abs((t.itemState as Float32Array)[j] - itemState(j)) < 1e-6);
  assert.equal((t.itemState as Float32Array)[3], 0);
  const expectStep = (after: Float32Array, prior: Float32Array, row: number, g: ArrayLike<number>, state: number): void => {
    const step = Array.from(after.subarray(row * dim, row * dim + dim), (v, k) => prior[row * dim + k] - v);
    assertClose(
      step,
      Array.from(g, (v) => (lr * v) / Math.sqrt(state)),
      1e-5,
      `row ${row} step`,
    );
  };
  expectStep(t.users, before.users, u, gUser, userState);
  expectStep(t.items, before.items, i, gItems.subarray(i * dim, i * dim + dim), itemState(i));
  expectStep(t.items, before.items, j, gItems.subarray(j * dim, j * dim + dim), itemState(j));
  // Scalar biases: Adagrad on one float, so the first step is lr * sign(g).
  assert.ok(Math.abs(before.itemBias[i] - (t.itemBias as Float32Array)[i] - lr * Math.sign(gBias[i])) < 1e-6);
});

test('mixed optimizers: row-wise Adagrad on the user row, SGD on item rows; missing state is refused', () => {
  const t = makeTables(false, 'rowwise-adagrad');
  const gItems = numericGradient(t, 'items', 0, 1, 2);
  const before = t.items.slice();
  new BprKernel(
    { ...t, itemState: null },
    { userOptimizer: 'rowwise-adagrad', userLearningRate: 0.1, itemOptimizer: 'sgd', itemLearningRate: 2, reg },
  ).step(0, 1, 2);
  assertClose(
    Array.from(t.items, (v, k) => (before[k] - v) / 2),
    gItems,
    2e-6,
    'item gradient',
  );
  assert.ok((t.userState as Float32Array)[0] > 0);
  assert.throws(
    () =>
      new BprKernel(
        { ...t, userState: null },
        { userOptimizer: 'rowwise-adagrad', userLearningRate: 0.1, itemOptimizer: 'sgd', itemLearningRate: 1, reg },
      ),
    /rowwise-adagrad needs 2 floats of user optimizer state, got none/,
  );
  assert.throws(
    () =>
      new BprKernel(t, { userOptimizer: 'adam' as BprOptimizer, userLearningRate: 0.1, itemOptimizer: 'sgd', itemLearningRate: 1, reg }),
    /user optimizer must be one of sgd, rowwise-adagrad, got "adam"/,
  );
});
