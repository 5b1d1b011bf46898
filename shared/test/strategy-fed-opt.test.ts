import { test } from 'node:test';
import { FedAdagrad, FedAdam, FedYogi, dense, type ModelParams, type Strategy } from '../src/index.js';
import { assertClose, denseOf, rowsOf, update, vec } from './aggregation-fixtures.js';

/** Runs one round per delta (a single update each) from a zero model and returns the model after each. */
function rounds(strategy: Strategy, deltas: readonly number[][]): number[][] {
  const model: ModelParams = new Map([['w', dense([deltas[0].length])]]);
  return deltas.map((delta) => {
    strategy.apply(model, strategy.aggregate([update(1, { w: vec(delta) })]));
    return [...(model.get('w')?.values ?? [])];
  });
}

test('fedadam with the defaults (eta 0.1, beta1 0.9, beta2 0.99, tau 1e-9), two rounds', () => {
  const [first, second] = rounds(new FedAdam(), [
    [0.5, -2],
    [0.5, 0],
  ]);
  // round 1: g = -delta = [-0.5, 2]; m = 0.1 g = [-0.05, 0.2]; v = 0.01 g² = [0.0025, 0.04];
  // model -= 0.1 * m / (sqrt(v) + tau) = 0.1 * [-1, 1]  ->  [0.1, -0.1]
  assertClose(first, [0.1, -0.1]);
  // round 2: g = [-0.5, 0]; m = 0.9 m + 0.1 g = [-0.095, 0.18]; v = 0.99 v + 0.01 g² = [0.004975, 0.0396];
  // step = 0.1 * m / sqrt(v) = [-0.134687, 0.090453]  ->  [0.234687, -0.190453]
  assertClose(second, [0.234687, -0.190453], 2e-6);
});

test('fedyogi: v moves by (1 - beta2) g² towards g², two rounds', () => {
  const [first, second] = rounds(new FedYogi({ eta: 1, beta1: 0.5, beta2: 0.9, tau: 0.1 }), [[1], [-3]]);
  // round 1: g = -1; m = 0.5*(-1) = -0.5; v = 0 - 0.1*1*sign(0 - 1) = 0.1;
  // model -= -0.5 / (sqrt(0.1) + 0.1) = -0.5 / 0.416228  ->  1.201265
  assertClose(first, [1.201265], 2e-6);
  // round 2: g = 3; m = 0.5*(-0.5) + 0.5*3 = 1.25; v = 0.1 - 0.1*9*sign(0.1 - 9) = 1;
  // model -= 1.25 / (1 + 0.1) = 1.136364  ->  0.064902
  assertClose(second, [0.064902], 2e-6);
});

test('fedadagrad with the defaults (eta 0.1, beta1 0, tau 1e-9): v accumulates g², two rounds', () => {
  const [first, second] = rounds(new FedAdagrad(), [
    [3, -4],
    [3, 0],
  ]);
  // round 1: g = [-3, 4]; m = g; v = [9, 16]; model -= 0.1 * [-3/3, 4/4]  ->  [0.1, -0.1]
  assertClose(first, [0.1, -0.1]);
  // round 2: g = [-3, 0]; v = [18, 16]; model -= 0.1 * [-3/sqrt(18), 0]  ->  [0.170711, -0.1]
  assertClose(second, [0.170711, -0.1]);
});

test('adaptive strategies aggregate like FedAvg; their state on sparse rows is lazy', () => {
  const combined = new FedAdam().aggregate([update(1, { w: vec([1]) }), update(3, { w: vec([5]) })]);
  assertClose(denseOf(combined, 'w'), [4]);

  const shape = [2, 1];
  const strategy = new FedAdam();
  const model: ModelParams = new Map([['table', dense(shape)]]);
  // round 1 touches row 0: g = -1, m = -0.1, v = 0.01, row 0 -= 0.1 * -0.1/0.1  ->  0.1
  strategy.apply(model, update(1, { table: rowsOf(shape, [0], [1]) }));
  // round 2 touches row 1 only: it takes the same first step; row 0 keeps 0.1 (an eager Adam would move it
  // on its decayed momentum, m = -0.09, v = 0.0099, to 0.190453)
  strategy.apply(model, update(1, { table: rowsOf(shape, [1], [1]) }));
  assertClose(model.get('table')?.values ?? [], [0.1, 0.1]);
});

test('each adaptive strategy instance keeps its own moments', () => {
  const a = new FedAdam();
  const b = new FedAdam();
  rounds(a, [[0.5, -2]]);
  rounds(b, [
    [100, 100],
    [100, 100],
  ]);
  // a's moments are still those of its first round (m = [-0.05, 0.2], v = [0.0025, 0.04]) whatever b did,
  // so its second round, from a fresh zero model, steps by [0.134687, -0.090453]
  const [second] = rounds(a, [[0.5, 0]]);
  assertClose(second, [0.134687, -0.090453], 2e-6);
});
