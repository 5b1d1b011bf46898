// The Gaussian task's cloud-side state under serverAdam (the Adam moments, their generations and step count,
// the pooled densification statistic) saved and restored: the restored pair steps on bit for bit as the one
// that saved it, and a state of another capacity, a corrupt one or one with impossible values is refused by
// name, leaving the running state as it was.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom, ServerStateError, encodeServerState, type SparseRows } from '@strata/shared';
import {
  GAUSSIAN_STRIDE,
  GaussianServerAdam,
  PooledStatistic,
  columnLearningRates,
  restoreGaussianServerState,
  saveGaussianServerState,
} from '../src/index.js';

const capacity = 6;
const lrs = columnLearningRates({ position: 0.01, scale: 0.005, rotation: 0.001, opacity: 0.05, color: 0.0025 });
const step = { batch: 8, lrs, columns: GAUSSIAN_STRIDE, lrExponent: 0.5 };
const generations = Float32Array.of(1, 1, 2, 1, 3, 0);

/** Round `round`'s gradients on rows 0-4 (row weights 1-3) and its statistic, from a seed of the round. */
function roundInputs(round: number): { gradients: SparseRows; statistic: SparseRows } {
  const rng = new SeededRandom(round);
  const rows = Uint32Array.of(0, 1, 2, 3, 4);
  return {
    gradients: {
      kind: 'sparse',
      shape: [capacity, GAUSSIAN_STRIDE],
      rows,
      values: Float32Array.from({ length: rows.length * GAUSSIAN_STRIDE }, () => rng.next() * 0.02 - 0.01),
      rowWeights: Float32Array.from(rows, () => 1 + Math.floor(rng.next() * 3)),
    },
    statistic: {
      kind: 'sparse',
      shape: [capacity, 1],
      rows,
      values: Float32Array.from(rows, () => rng.next()),
      rowWeights: Float32Array.from(rows, () => 2),
    },
  };
}

/** Rounds `from`..`to` of the cloud's side (an opacity reset after round 3); returns every round's Adam step. */
function run(adam: GaussianServerAdam, statistic: PooledStatistic, from: number, to: number): Float32Array[] {
  const steps: Float32Array[] = [];
  for (let round = from; round <= to; round++) {
    const inputs = roundInputs(round);
    statistic.add(inputs.statistic);
    adam.step(inputs.gradients, generations, step);
    if (round === 3) adam.resetOpacity();
    steps.push(inputs.gradients.values);
  }
  return steps;
}

/** The statistic's pooled mean per row. */
function pooledMean(statistic: PooledStatistic): Float32Array {
  const out = new Float32Array(capacity);
  statistic.takeInto(out);
  return out;
}

const refused = (pattern: RegExp) => (error: unknown) => error instanceof ServerStateError && pattern.test(error.message);

test('restored after round 4, the cloud steps rounds 5-8 and pools the statistic bit for bit as an uninterrupted cloud', () => {
  const [referenceAdam, referenceStatistic] = [new GaussianServerAdam(capacity), new PooledStatistic(capacity)];
  const reference = run(referenceAdam, referenceStatistic, 1, 8);

  const [adam, statistic] = [new GaussianServerAdam(capacity), new PooledStatistic(capacity)];
  run(adam, statistic, 1, 4);
  const saved = saveGaussianServerState(adam, statistic);
  const [resumedAdam, resumedStatistic] = [new GaussianServerAdam(capacity), new PooledStatistic(capacity)];
  restoreGaussianServerState(saved, resumedAdam, resumedStatistic);
  assert.deepEqual(run(resumedAdam, resumedStatistic, 5, 8), reference.slice(4), 'the Adam steps of rounds 5-8');
  const pooled = pooledMean(referenceStatistic);
  assert.deepEqual(pooledMean(resumedStatistic), pooled, 'the statistic pooled over rounds 1-8');

  // Without the saved state (moments from zero, step count 0, nothing pooled) both differ: what the saved state prevents.
  const [forgetfulAdam, forgetfulStatistic] = [new GaussianServerAdam(capacity), new PooledStatistic(capacity)];
  assert.notDeepEqual(run(forgetfulAdam, forgetfulStatistic, 5, 8), reference.slice(4));
  assert.notDeepEqual(pooledMean(forgetfulStatistic), pooled);
});

test('a state of another capacity, a corrupt one, or one with impossible values is refused by name and changes nothing', () => {
  const [adam, statistic] = [new GaussianServerAdam(capacity), new PooledStatistic(capacity)];
  run(adam, statistic, 1, 2);
  const saved = saveGaussianServerState(adam, statistic);
  const target = [new GaussianServerAdam(capacity), new PooledStatistic(capacity)] as const;
  const before = saveGaussianServerState(...target);
  const restore = (bytes: Uint8Array) => () => restoreGaussianServerState(bytes, ...target);

  assert.throws(
    () => restoreGaussianServerState(saved, new GaussianServerAdam(capacity + 1), new PooledStatistic(capacity + 1)),
    refused(/^the saved state of radiance\/gaussians \(serverAdam, capacity 7\): entry adam\.m holds 354 values where 413 are expected$/),
  );
  const flipped = saved.slice();
  flipped[200] ^= 0x40;
  assert.throws(restore(flipped), refused(/capacity 6\): checksum mismatch: the state is corrupt or truncated/));
  assert.throws(restore(saved.subarray(0, 400)), refused(/checksum mismatch/));

  const entries = (changes: Record<string, Float32Array>) => {
    const { m, v, generation, steps } = adam.state;
    const base = { 'adam.m': m, 'adam.v': v, 'adam.generation': generation, 'adam.steps': Float32Array.of(steps) };
    const { sums, views } = statistic.state;
    return new Map(Object.entries({ ...base, 'statistic.sums': sums, 'statistic.views': views, ...changes }));
  };
  const owner = 'radiance/gaussians serverAdam';
  const negative = new Float32Array(capacity * GAUSSIAN_STRIDE);
  negative[17] = -1;
  assert.throws(restore(encodeServerState(owner, 1, entries({ 'adam.v': negative }))), refused(/adam\.v is -1 at 17, below 0/));
  assert.throws(
    restore(encodeServerState(owner, 1, entries({ 'adam.steps': Float32Array.of(2.5) }))),
    refused(/adam\.steps is 2\.5, not a count/),
  );
  const missing = entries({});
  missing.delete('statistic.views');
  assert.throws(restore(encodeServerState(owner, 1, missing)), refused(/entry statistic\.views is missing/));
  assert.throws(
    restore(encodeServerState(owner, 2, entries({}))),
    refused(/layout 2 of radiance\/gaussians serverAdam, this build reads layout 1/),
  );
  assert.deepEqual(saveGaussianServerState(...target), before, 'the refused states changed nothing');
});
