import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  DEFAULT_RDP_ORDERS,
  PrivacyBudget,
  RdpAccountant,
  epsilonFromRdp,
  logErfc,
  logGamma,
  noiseMultiplierForEpsilon,
  subsampledGaussianRdp,
} from '../src/index.js';

interface EpsilonCase {
  readonly noise_multiplier: number;
  readonly sampling_probability: number;
  readonly steps: number;
  readonly delta: number;
  readonly epsilon: number | null;
  readonly optimal_order: number;
}
interface DeltaCase {
  readonly noise_multiplier: number;
  readonly sampling_probability: number;
  readonly steps: number;
  readonly epsilon: number;
  readonly delta: number;
}
interface Fixture {
  readonly orders: number[];
  readonly epsilon_at_delta: EpsilonCase[];
  readonly delta_at_epsilon: DeltaCase[];
}

// Google dp-accounting's answers, from ../shared/fixtures (made by make_fixture.py there).
const fixturePath = fileURLToPath(new URL('../../../../shared/fixtures/dp-accounting/rdp-epsilons.json', import.meta.url));
const fixture = JSON.parse(readFileSync(fixturePath, 'utf8')) as Fixture;

const accountantFor = (c: { noise_multiplier: number; sampling_probability: number; steps: number }): RdpAccountant =>
  new RdpAccountant().composeSubsampledGaussian(c.sampling_probability, c.noise_multiplier, c.steps);

const relativeError = (ours: number, theirs: number): number => Math.abs(ours - theirs) / Math.abs(theirs);

test("the default orders are the fixture's (dp-accounting's)", () => {
  assert.equal(DEFAULT_RDP_ORDERS.length, fixture.orders.length);
  for (let k = 0; k < fixture.orders.length; k++) assert.ok(Math.abs(DEFAULT_RDP_ORDERS[k] - fixture.orders[k]) < 1e-12);
});

test('log-space special functions agree with known values', () => {
  assert.ok(Math.abs(logGamma(5) - Math.log(24)) < 1e-13);
  assert.ok(Math.abs(logGamma(0.5) - 0.5 * Math.log(Math.PI)) < 1e-13);
  // |Γ(-1.5)| = 4√π / 3
  assert.ok(Math.abs(logGamma(-1.5) - Math.log((4 * Math.sqrt(Math.PI)) / 3)) < 1e-12);
  assert.ok(Math.abs(logGamma(1001) - 5912.128178488163) < 1e-9);
  // erfc(0.5) = 0.4795001221869535, erfc(3) = 2.209049699858544e-5, erfc(-1) = 1.8427007929497148
  assert.ok(Math.abs(logErfc(0.5) - Math.log(0.4795001221869535)) < 1e-13);
  assert.ok(Math.abs(logErfc(3) - Math.log(2.209049699858544e-5)) < 1e-12);
  assert.ok(Math.abs(logErfc(-1) - Math.log(1.8427007929497148)) < 1e-13);
  // Deep in the tail, log erfc(x) ≈ -x² - log(x√π) - 1/(2x²).
  const x = 40;
  assert.ok(Math.abs(logErfc(x) - (-x * x - Math.log(x * Math.sqrt(Math.PI)) - 1 / (2 * x * x))) < 1e-6);
});

test(`ε at δ matches dp-accounting to 1% on all ${fixture.epsilon_at_delta.length} fixture cases`, () => {
  let worst = 0;
  for (const c of fixture.epsilon_at_delta) {
    const { value: ours, order } = accountantFor(c).epsilonWithOrder(c.delta);
    const label = `σ=${c.noise_multiplier} q=${c.sampling_probability} steps=${c.steps} δ=${c.delta}`;
    if (c.epsilon === null) {
      assert.equal(ours, Infinity, label);
      continue;
    }
    const error = relativeError(ours, c.epsilon);
    worst = Math.max(worst, error);
    assert.ok(error <= 0.01, `${label}: ε ${ours}, dp-accounting ${c.epsilon}`);
    // Same orders, same series, same dropped fractional orders: the best order is dp-accounting's too.
    assert.equal(order, c.optimal_order, label);
  }
  assert.ok(worst < 0.01);
});

test(`δ at ε matches dp-accounting to 1% on all ${fixture.delta_at_epsilon.length} fixture cases`, () => {
  for (const c of fixture.delta_at_epsilon) {
    const ours = accountantFor(c).delta(c.epsilon);
    const label = `σ=${c.noise_multiplier} q=${c.sampling_probability} steps=${c.steps} ε=${c.epsilon}`;
    const close = c.delta === 0 ? ours === 0 : relativeError(ours, c.delta) <= 0.01;
    assert.ok(close, `${label}: δ ${ours}, dp-accounting ${c.delta}`);
  }
});

test('RDP grows linearly with the number of rounds, and ε grows with it', () => {
  const one = new RdpAccountant().composeSubsampledGaussian(0.01, 1.1, 1).rdp();
  const many = new RdpAccountant().composeSubsampledGaussian(0.01, 1.1, 250).composeSubsampledGaussian(0.01, 1.1, 250).rdp();
  for (let k = 0; k < one.length; k++) if (Number.isFinite(one[k])) assert.ok(Math.abs(many[k] - 500 * one[k]) <= 1e-9 * many[k]);
  const eps = [1, 10, 100, 1000].map((steps) => new RdpAccountant().composeSubsampledGaussian(0.01, 1.1, steps).epsilon(1e-5));
  for (let k = 1; k < eps.length; k++) assert.ok(eps[k] > eps[k - 1]);
});

test('subsampling amplifies privacy: the sampled mechanism is never worse than q = 1, and 0 at q = 0', () => {
  for (const order of [2.5, 3, 8, 32]) {
    assert.ok(subsampledGaussianRdp(0.1, 1, order) < subsampledGaussianRdp(1, 1, order));
    assert.equal(subsampledGaussianRdp(0, 1, order), 0);
  }
  assert.throws(() => subsampledGaussianRdp(1.5, 1, 2), /sampling probability/);
  assert.throws(() => epsilonFromRdp([2, 3], [1], 1e-5), /one value per order/);
});

test('the noise multiplier for a target ε reaches it within 0.1% and no more', () => {
  for (const [target, q, rounds] of [
    [1, 0.01, 1000],
    [8, 0.01, 1000],
    [4, 0.1, 100],
    [2, 1, 10],
  ] as const) {
    const sigma = noiseMultiplierForEpsilon({ targetEpsilon: target, samplingRate: q, rounds, delta: 1e-5 });
    const reached = new RdpAccountant().composeSubsampledGaussian(q, sigma, rounds).epsilon(1e-5);
    assert.ok(reached <= target && reached > target * 0.999, `ε ${target}, q ${q}, ${rounds} rounds: σ ${sigma} gives ε ${reached}`);
  }
  assert.throws(() => noiseMultiplierForEpsilon({ targetEpsilon: 0, samplingRate: 0.1, rounds: 10, delta: 1e-5 }), /targetEpsilon/);
});

test('a privacy budget counts rounds, reports ε spent, and refuses the round that would pass the target', () => {
  const budget = new PrivacyBudget({ noiseMultiplier: 1, delta: 1e-5, targetEpsilon: 3 });
  assert.equal(budget.epsilonSpent(), 0);
  let rounds = 0;
  while (budget.canSpend(0.05)) {
    budget.record(0.05);
    rounds++;
  }
  assert.ok(rounds > 30, `${rounds} rounds`);
  const spent = budget.epsilonSpent();
  assert.ok(spent <= 3 && budget.epsilonAfter(0.05) > 3, `spent ${spent}`);
  assert.throws(() => budget.record(0.05), /target ε 3/);
  const reference = new RdpAccountant().composeSubsampledGaussian(0.05, 1, rounds).epsilon(1e-5);
  assert.ok(Math.abs(spent - reference) < 1e-12 * reference, `${spent} vs ${reference}`);
  const restored = PrivacyBudget.fromState(JSON.parse(JSON.stringify(budget.state())));
  assert.ok(Math.abs(restored.epsilonSpent() - spent) < 1e-12 * spent);
  assert.equal(restored.rounds, rounds);
});
