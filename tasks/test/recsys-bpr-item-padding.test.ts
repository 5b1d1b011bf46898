// Item-set padding of federated BPR-MF updates (item-padding.ts): k pseudo rows more than touched, the real
// rows unchanged, pseudo deltas without a systematic direction ('zero-mean'), bad options refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type LocalTrainOptions, type ModelParams, SeededRandom, type SparseRows } from '@strata/shared';
import {
  BprMfTask,
  choosePseudoItems,
  ITEM_BIAS,
  ITEM_EMBEDDING,
  loadInteractions,
  ml100kSource,
  pseudoItemRows,
} from '../src/recsys/index.js';

const data = loadInteractions(ml100kSource());
const trainOptions = (task: BprMfTask): LocalTrainOptions => ({ round: 1, localSteps: 1, options: task.defaultOptions() });
const rowsOf = (update: { delta: ModelParams | Map<string, unknown> }, name = ITEM_EMBEDDING): SparseRows =>
  update.delta.get(name) as SparseRows;
const table = (model: ModelParams): Float32Array => (model.get(ITEM_EMBEDDING) as { values: Float32Array }).values;

/** Row `item`'s values in `rows` (d floats), or undefined when the update does not hold it. */
function rowValues(rows: SparseRows, item: number, d: number): Float32Array | undefined {
  const k = Array.from(rows.rows).indexOf(item);
  return k < 0 ? undefined : rows.values.subarray(k * d, k * d + d);
}

for (const padDelta of ['zero-mean', 'negative-gradient'] as const) {
  test(`${padDelta}: a padded update holds k more rows than touched, weight 1 each, and the real rows unchanged`, async () => {
    const k = 25;
    const plain = BprMfTask.fromInteractions(data, { seed: 4, itemBias: true });
    const padded = BprMfTask.fromInteractions(data, { seed: 4, itemBias: true, padItems: k, padDelta, padRandom: 'seed' });
    const model = plain.initModel();
    for (const user of [0, 7, 300]) {
      const a = await plain.createDevice(user).train(model, trainOptions(plain));
      const b = await padded.createDevice(user).train(model, trainOptions(padded));
      const [real, all] = [rowsOf(a), rowsOf(b)];
      assert.equal(all.rows.length, real.rows.length + k);
      assert.equal(b.weight, a.weight);
      assert.equal(b.metrics.loss, a.metrics.loss);
      const touched = new Set(real.rows);
      const list = Array.from(all.rows);
      assert.deepEqual(
        list,
        [...list].sort((x, y) => x - y),
      );
      const pseudo = list.filter((item) => !touched.has(item));
      assert.equal(pseudo.length, k, 'every touched row is kept');
      for (const item of real.rows) assert.deepEqual(rowValues(all, item, 64), rowValues(real, item, 64), `real row ${item}`);
      const weights = all.rowWeights as Float32Array;
      for (const item of pseudo) {
        assert.equal(weights[list.indexOf(item)], 1, `pseudo row ${item} weighs like a once-touched negative`);
        assert.ok(rowValues(all, item, 64)?.some((v) => v !== 0));
      }
      assert.deepEqual(Array.from(rowsOf(b, ITEM_BIAS).rows), list);
    }
  });
}

test('pseudo items are drawn uniformly among untouched items, all of them when fewer are left', () => {
  const random = new SeededRandom(11);
  const touched = (item: number): boolean => item % 2 === 0;
  const counts = new Array<number>(20).fill(0);
  const draws = 20000;
  for (let n = 0; n < draws; n++) {
    const chosen = choosePseudoItems(20, touched, 3, random);
    assert.equal(new Set(chosen).size, 3);
    for (const item of chosen) counts[item]++;
  }
  assert.ok(counts.every((c, item) => item % 2 === 1 || c === 0));
  const expected = (draws * 3) / 10;
  const chiSquare = counts.filter((_, item) => item % 2 === 1).reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
  assert.ok(chiSquare < 27.88, `chi-square ${chiSquare} over 9 degrees of freedom (p = 0.001 bound)`);
  assert.deepEqual(Array.from(choosePseudoItems(10, (item) => item < 8, 5, random)).sort(), [8, 9]);
});

test('zero-mean: each pseudo delta is the negative step times a fair sign, exactly', () => {
  const task = BprMfTask.fromInteractions(data, { seed: 2, itemBias: true });
  const model = task.initModel();
  const bias = Float32Array.from({ length: 1682 }, (_, i) => (i % 7) * 0.01);
  const user = task.createDevice(3).userEmbedding;
  const items = Int32Array.from({ length: 1600 }, (_, i) => i + 50);
  // One positive and one user snapshot, so both modes pair every pseudo item with the same triple.
  const positives = Int32Array.of(10);
  const hyper = {
    dim: 64,
    userOptimizer: 'rowwise-adagrad',
    userLearningRate: 0.2,
    itemOptimizer: 'sgd',
    itemLearningRate: 2,
    reg: 0.01,
  } as const;
  const signed = pseudoItemRows(items, positives, user, table(model), bias, hyper, 'zero-mean', new SeededRandom(5));
  const plain = pseudoItemRows(items, positives, user, table(model), bias, hyper, 'negative-gradient', new SeededRandom(5));
  let positive = 0;
  for (let k = 0; k < items.length; k++) {
    const sign = Math.sign(signed.values[k * 64]) === Math.sign(plain.values[k * 64]) ? 1 : -1;
    if (sign === 1) positive++;
    for (let c = 0; c < 64; c++) assert.equal(signed.values[k * 64 + c], sign * plain.values[k * 64 + c]);
    assert.equal(signed.biasValues?.[k], sign * (plain.biasValues?.[k] ?? Number.NaN));
  }
  // Binomial(1600, 1/2): sd 20; 4 sd either side.
  assert.ok(Math.abs(positive - 800) < 80, `${positive} positive signs of 1600`);
});

test('over every ml-100k device, zero-mean pseudo deltas have no component along the user; negative-gradient ones do', async () => {
  // z = sum of <pseudo delta, user embedding> / sqrt(sum of squares): about N(0, 1) when unbiased.
  const zScore = async (padDelta: 'zero-mean' | 'negative-gradient'): Promise<number> => {
    const plain = BprMfTask.fromInteractions(data, { seed: 6 });
    const padded = BprMfTask.fromInteractions(data, { seed: 6, padItems: 10, padDelta, padRandom: 'seed' });
    const model = plain.initModel();
    let sum = 0;
    let squares = 0;
    for (let user = 0; user < plain.numDevices; user++) {
      const real = new Set(rowsOf(await plain.createDevice(user).train(model, trainOptions(plain))).rows);
      const device = padded.createDevice(user);
      const rows = rowsOf(await device.train(model, trainOptions(padded)));
      for (let k = 0; k < rows.rows.length; k++) {
        if (real.has(rows.rows[k])) continue;
        let dot = 0;
        for (let c = 0; c < 64; c++) dot += rows.values[k * 64 + c] * device.userEmbedding[c];
        sum += dot;
        squares += dot * dot;
      }
    }
    return sum / Math.sqrt(squares);
  };
  const unbiased = await zScore('zero-mean');
  assert.ok(Math.abs(unbiased) < 4, `zero-mean z = ${unbiased}`);
  const pushedDown = await zScore('negative-gradient');
  assert.ok(pushedDown < -20, `negative-gradient z = ${pushedDown}`);
});

test('crypto padding draws different pseudo items on two identical devices; seed padding the same', async () => {
  const pseudoOf = async (padRandom: 'crypto' | 'seed'): Promise<number[][]> => {
    const task = BprMfTask.fromInteractions(data, { padItems: 30, padRandom });
    const model = task.initModel();
    return Promise.all([0, 1].map(async () => Array.from(rowsOf(await task.createDevice(9).train(model, trainOptions(task))).rows)));
  };
  const [a, b] = await pseudoOf('crypto');
  assert.equal(a.length, b.length);
  assert.notDeepEqual(a, b);
  const [c, d] = await pseudoOf('seed');
  assert.deepEqual(c, d);
});

test('bad padding options are refused, naming the option', () => {
  for (const [options, pattern] of [
    [{ padItems: -1 }, /option "padItems": .*\(got -1\)/],
    [{ padItems: 2.5 }, /option "padItems": .*\(got 2.5\)/],
    [{ padItems: '20' }, /option "padItems": .*\(got "20"\)/],
    [{ padDelta: 'noise' }, /option "padDelta": .*\(got "noise"\)/],
    [{ padRandom: 'urandom' }, /option "padRandom": .*\(got "urandom"\)/],
  ] as const) {
    assert.throws(() => BprMfTask.fromInteractions(data, options), pattern);
  }
});
