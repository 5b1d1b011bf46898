import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AdaptiveClipNorm,
  CryptoRandom,
  addGaussianNoise,
  centralNoiseStd,
  clipUpdate,
  distributedNoiseStd,
  fixedDenominatorMean,
  updateL2Norm,
  updateNoiseMultiplier,
  weightedDenseSum,
  type ModelUpdate,
  type SparseRows,
  type TensorValue,
} from '../src/index.js';
import { seeded } from './privacy-secagg-fixtures.js';

const sparse: SparseRows = { kind: 'sparse', shape: [10, 2], rows: Uint32Array.of(1, 7), values: Float32Array.of(3, 0, 0, 4) };
const update = (weight = 1): ModelUpdate => ({
  delta: new Map<string, TensorValue>([
    ['bias', { kind: 'dense', shape: [2], values: Float32Array.of(0, 12) }],
    ['items', sparse],
  ]),
  weight,
  metrics: {},
});

test('clipping scales an update to the clip norm over all its tensors, and leaves a small one alone', () => {
  assert.equal(updateL2Norm(update()), 13);
  const { update: clipped, norm, clipped: wasClipped } = clipUpdate(update(), 1.3);
  assert.ok(wasClipped);
  assert.equal(norm, 13);
  const after = updateL2Norm(clipped);
  assert.ok(after <= 1.3 && after > 1.3 * 0.9999, `norm after ${after}`);
  const items = clipped.delta.get('items') as SparseRows;
  assert.deepEqual([...items.rows], [1, 7]);
  assert.ok(Math.abs(items.values[0] - 0.3) < 1e-6);
  const small = update();
  assert.equal(clipUpdate(small, 20).update, small);
  assert.throws(() => clipUpdate(small, 0), /clip norm/);
});

test('the cryptographic Gaussian sampler has mean 0, variance 1, normal tails; seeded streams repeat, entropy ones do not', () => {
  const random = seeded(1);
  const n = 200000;
  let sum = 0;
  let squares = 0;
  let fourth = 0;
  let beyond3 = 0;
  for (let i = 0; i < n; i++) {
    const z = random.normal();
    sum += z;
    squares += z * z;
    fourth += z ** 4;
    if (Math.abs(z) > 3) beyond3++;
  }
  assert.ok(Math.abs(sum / n) < 0.01);
  assert.ok(Math.abs(squares / n - 1) < 0.01);
  assert.ok(Math.abs(fourth / n - 3) < 0.1);
  // P(|Z| > 3) = 0.0027
  assert.ok(Math.abs(beyond3 / n - 0.0027) < 0.0006);
  assert.equal(seeded(9).normal(), seeded(9).normal());
  assert.notDeepEqual(CryptoRandom.fromEntropy().fill(new Uint8Array(16)), CryptoRandom.fromEntropy().fill(new Uint8Array(16)));
});

test('noise goes on every coordinate, sparse tensors made dense over the whole table', () => {
  const noisy = addGaussianNoise(update(), 0.5, seeded(2));
  const items = noisy.delta.get('items')!;
  assert.equal(items.kind, 'dense');
  assert.equal(items.values.length, 20);
  assert.ok(items.values.every((v) => v !== 0));
  const spread = [...items.values].filter((_, i) => i !== 2 && i !== 15);
  const std = Math.sqrt(spread.reduce((s, v) => s + v * v, 0) / spread.length);
  assert.ok(std > 0.25 && std < 0.8, `std ${std}`);
});

test('distributed noise: m devices each adding σC/√m give a sum with the central noise σC', () => {
  const sigma = 1.2;
  const clip = 0.5;
  const m = 40;
  const per = distributedNoiseStd(sigma, clip, m);
  assert.equal(per, centralNoiseStd(sigma, clip) / Math.sqrt(m));
  const random = seeded(3);
  const coords = 5000;
  const sum = new Float64Array(coords);
  for (let d = 0; d < m; d++) for (let i = 0; i < coords; i++) sum[i] += per * random.normal();
  const std = Math.sqrt(sum.reduce((s, v) => s + v * v, 0) / coords);
  assert.ok(Math.abs(std / (sigma * clip) - 1) < 0.03, `sum std ${std}, want ${sigma * clip}`);
  assert.throws(() => distributedNoiseStd(1, 1, 0), /minContributors/);
});

test('adaptive clipping tracks the target quantile of the update norms', () => {
  const random = seeded(4);
  // Norms log-normal around e^0 = 1: the median is 1, the 0.8 quantile e^(0.5·0.8416) ≈ 1.523.
  for (const [quantile, want] of [
    [0.5, 1],
    [0.8, Math.exp(0.5 * 0.8416)],
  ] as const) {
    const clip = new AdaptiveClipNorm({ initialClipNorm: 0.1, targetQuantile: quantile, countNoiseStd: 100 / 20 });
    for (let round = 0; round < 300; round++) {
      let reports = 0;
      for (let d = 0; d < 100; d++) reports += clip.report(Math.exp(0.5 * random.normal()));
      clip.update(reports, 100, random);
    }
    assert.ok(Math.abs(clip.clipNorm / want - 1) < 0.15, `quantile ${quantile}: clip norm ${clip.clipNorm}, want ${want}`);
  }
});

test('the update noise multiplier leaves the clipped-count query inside the same privacy budget', () => {
  const z = 1;
  const sigmaB = 5;
  const zDelta = updateNoiseMultiplier(z, sigmaB);
  assert.ok(zDelta > z);
  assert.ok(Math.abs((zDelta ** -2 + (2 * sigmaB) ** -2) ** -0.5 - z) < 1e-12);
  assert.throws(() => updateNoiseMultiplier(1, 0.4), /spends the whole budget/);
});

test("DP-FedAvg's fixed-denominator mean: Σ (w/W) Δ over the expected weight", () => {
  const sum = weightedDenseSum([update(2), update(4)], 4);
  const items = sum.delta.get('items')!;
  assert.equal(items.kind, 'dense');
  assert.ok(Math.abs(items.values[2] - 1.5 * 3) < 1e-6);
  assert.equal(sum.weight, 6);
  const mean = fixedDenominatorMean(sum, 3);
  assert.ok(Math.abs(mean.delta.get('bias')!.values[1] - (1.5 * 12) / 3) < 1e-5);
  assert.throws(() => weightedDenseSum([update(5)], 4), /outside \[0, 4\]/);
});
