import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '@strata/shared';
import {
  gameSpace,
  type GameSpace,
  playBestResponses,
  playEngagementGame,
  resolveEngagementGameOptions,
  symmetricEigen,
} from '../src/recsys/index.js';

/**
 * Taste clusters of users (sizes given) along the three axes, and a catalogue of items on ±each axis (more on the
 * first than the second than the third, so the principal features are those axes, in that order) and one
 * item pair that mixes all three: mainstream content.
 */
function clusteredSpace(sizes: readonly [number, number, number]): GameSpace {
  const dim = 3;
  const random = new SeededRandom(7);
  const numUsers = sizes[0] + sizes[1] + sizes[2];
  const users = new Float32Array(numUsers * dim);
  for (let u = 0; u < numUsers; u++) {
    for (let k = 0; k < dim; k++) users[u * dim + k] = 0.15 * random.normal();
    users[u * dim + (u < sizes[0] ? 0 : u < sizes[0] + sizes[1] ? 1 : 2)] += 2;
  }
  const rows: number[][] = [];
  [20, 15, 10].forEach((count, axis) => {
    for (let i = 0; i < 2 * count; i++) rows.push([0, 1, 2].map((k) => (k === axis ? (i % 2 === 0 ? 1 : -1) : 0)));
  });
  const m = 1 / Math.sqrt(3);
  rows.push([m, m, m], [-m, -m, -m]);
  return gameSpace(users, Float32Array.from(rows.flat()), dim);
}

/** The mainstream item (the mix of all three axes). */
const MAINSTREAM = 90;

/** Producer j's engagement at candidate c, from the definition (softmax at `temperature`, or hardmax without). */
function engagement(space: GameSpace, positions: readonly number[], j: number, c: number, temperature?: number): number {
  let total = 0;
  const trial = positions.map((p, k) => (k === j ? c : p));
  for (let u = 0; u < space.numUsers; u++) {
    const scores = trial.map((p) => space.scores[u * space.numCandidates + p]);
    const best = Math.max(...scores);
    if (temperature === undefined) {
      if (scores[j] === best) total += 1 / scores.filter((s) => s === best).length;
    } else {
      const weights = scores.map((s) => Math.exp((s - best) / temperature));
      total += weights[j] / weights.reduce((a, b) => a + b, 0);
    }
  }
  return total / space.numUsers;
}

/** Asserts that no producer gains more than 1e-9 by moving to any candidate. */
function assertEquilibrium(space: GameSpace, positions: readonly number[], temperature?: number): void {
  positions.forEach((position, j) => {
    const current = engagement(space, positions, j, position, temperature);
    for (let c = 0; c < space.numCandidates; c++) {
      assert.ok(engagement(space, positions, j, c, temperature) <= current + 1e-9, `producer ${j} gains at candidate ${c}`);
    }
  });
}

test('the symmetric eigensolver returns eigenpairs, largest first', () => {
  const random = new SeededRandom(1);
  const dim = 6;
  const m = new Float64Array(dim * dim);
  for (let p = 0; p < dim; p++) for (let q = p; q < dim; q++) m[p * dim + q] = m[q * dim + p] = random.normal();
  const { values, vectors } = symmetricEigen(m, dim);
  for (let f = 0; f < dim; f++) {
    if (f > 0) assert.ok(values[f] <= values[f - 1]);
    for (let r = 0; r < dim; r++) {
      let mv = 0;
      for (let k = 0; k < dim; k++) mv += m[r * dim + k] * vectors[k * dim + f];
      assert.ok(Math.abs(mv - values[f] * vectors[r * dim + f]) < 1e-9, `feature ${f}, row ${r}`);
    }
  }
});

test('hardmax with equal clusters: an equilibrium where every cluster has its producer, specialised, and no one gains by moving', () => {
  const space = clusteredSpace([40, 40, 40]);
  const outcome = playBestResponses(space, { kind: 'hardmax' }, [80, 41, 18], 50);
  assert.ok(outcome.converged, `sweeps ${outcome.sweeps}, cycle ${outcome.cycleLength}`);
  assert.equal(outcome.distinctPositions, 3);
  for (const share of outcome.producerEngagement) assert.ok(Math.abs(share - 1 / 3) < 1e-9, `engagement ${outcome.producerEngagement}`);
  assert.ok(outcome.specialisation > 0.75, `specialisation ${outcome.specialisation}`);
  assertEquilibrium(space, outcome.positions);
});

test('hot softmax serving homogenises producers on the mainstream; hardmax specialises them, cycling without a pure equilibrium', () => {
  const space = clusteredSpace([60, 40, 20]);
  const result = playEngagementGame(space, resolveEngagementGameOptions({ producers: 3, temperatures: [5], maxSweeps: 50 }));
  const [hot, hardmax] = result.outcomes;
  assert.ok(hot.rule.kind === 'softmax' && hot.converged);
  assert.deepEqual(hot.positions, [MAINSTREAM, MAINSTREAM, MAINSTREAM]);
  assertEquilibrium(space, hot.positions, hot.rule.temperature);
  assert.ok(hot.specialisation < 0.45, `hot specialisation ${hot.specialisation}`);
  // Whoever holds the mainstream takes every cluster no specialist serves, so someone always gains by moving.
  assert.ok(!hardmax.converged && hardmax.cycleLength > 0, `sweeps ${hardmax.sweeps}`);
  assert.ok(hardmax.specialisation > hot.specialisation + 0.3, `hardmax specialisation ${hardmax.specialisation}`);
  assert.ok(hardmax.distinctPositions > 2 && hardmax.userWelfareRatio > hot.userWelfareRatio + 0.2);
  for (const outcome of result.outcomes) {
    const total = outcome.producerEngagement.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(total - 1) < 1e-9, `engagement sums to ${total}`);
  }
});

test('bad game options are refused by name', () => {
  assert.throws(() => resolveEngagementGameOptions({ producers: 1 }), /engagement game: option "producers": .*\(got 1\)/);
  assert.throws(() => resolveEngagementGameOptions({ temperatures: [0] }), /engagement game: option "temperatures.0": .*\(got 0\)/);
  assert.throws(
    () => resolveEngagementGameOptions({ temperature: 1 }),
    /unknown option "temperature" \(options: producers, dim, temperatures,/,
  );
});
