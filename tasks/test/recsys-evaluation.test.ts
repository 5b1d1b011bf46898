import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  addEvaluationSums,
  evaluateRanking,
  evaluateRankingSums,
  loadInteractions,
  metricsFromSums,
  ml100kSource,
  Popularity,
  splitPerUser,
  topKExcluding,
  type UserSplit,
} from '../src/recsys/index.js';

// Items 0..5. User 0 trained on item 0 and holds out items 2 and 4; user 1 holds out item 0;
// user 2 has no test items and is not evaluated.
const tiny: UserSplit = {
  numUsers: 3,
  numItems: 6,
  train: [Int32Array.from([0]), new Int32Array(0), Int32Array.from([1, 2])],
  test: [Int32Array.from([2, 4]), Int32Array.from([0]), new Int32Array(0)],
};
const tinyScores = [
  [9, 5, 4, 4, 3, 0], // ranking without the train item: 1, 2, 3 (tie with 2: lower index first), 4, 5
  [0, 0, 0, 0, 0, 0], // all tied: 0, 1, 2, ...
  [1, 1, 1, 1, 1, 1],
];
const score = (user: number, out: Float32Array): void => out.set(tinyScores[user]);
const l2 = (r: number): number => 1 / Math.log2(r + 2);

test('top-K excludes training items and breaks ties by lower item index', () => {
  assert.deepEqual(Array.from(topKExcluding(Float32Array.from(tinyScores[0]), tiny.train[0], 4)), [1, 2, 3, 4]);
  assert.deepEqual(Array.from(topKExcluding(Float32Array.from([1, 2, 3]), Int32Array.from([0, 1, 2]), 2)), []);
});

test('ranking metrics on a hand-computed example', () => {
  const m = evaluateRanking(tiny, score, { ks: [2, 4] });
  // User 0 at K=2: top [1, 2], one hit at rank 2. At K=4: top [1, 2, 3, 4], hits at ranks 2 and 4.
  // User 1: its test item is ranked first.
  const u0ndcg2 = l2(1) / (l2(0) + l2(1));
  const u0ndcg4 = (l2(1) + l2(3)) / (l2(0) + l2(1));
  const expected: Record<string, number> = {
    'recall@2': (0.5 + 1) / 2,
    'ndcg@2': (u0ndcg2 + 1) / 2,
    'hit@2': 1,
    'mrr@2': (0.5 + 1) / 2,
    'recall@4': (1 + 1) / 2,
    'ndcg@4': (u0ndcg4 + 1) / 2,
    'hit@4': 1,
    'mrr@4': (0.5 + 1) / 2,
  };
  assert.deepEqual(Object.keys(m).sort(), Object.keys(expected).sort());
  for (const [name, value] of Object.entries(expected)) assert.ok(Math.abs(m[name] - value) < 1e-12, `${name}: ${m[name]} != ${value}`);
  assert.ok(Math.abs(m['ndcg@2'] - 0.6934264036172708) < 1e-12);
});

test('evaluation sums over subsets of users add up to the whole', () => {
  const whole = evaluateRankingSums(tiny, score, { ks: [2, 4] });
  assert.equal(whole.count, 2);
  const parts = [0, 1, 2].map((u) => evaluateRankingSums(tiny, score, { ks: [2, 4], users: [u] }));
  assert.deepEqual(
    parts.map((p) => p.count),
    [1, 1, 0],
  );
  const total = addEvaluationSums(...parts);
  assert.equal(total.count, 2);
  for (const [name, value] of Object.entries(metricsFromSums(whole))) {
    assert.ok(Math.abs(metricsFromSums(total)[name] - value) < 1e-12, name);
  }
  assert.throws(() => evaluateRankingSums(tiny, score, { users: [3] }), /user 3 is out of range/);
  assert.throws(() => evaluateRankingSums(tiny, score, { ks: [0] }), /positive integer, got 0/);
});

test('popularity on ml-100k (80/20 per user): Recall@20 near 0.17', () => {
  const split = splitPerUser(loadInteractions(ml100kSource()), { seed: 0 });
  const m = evaluateRanking(split, new Popularity(split).scoreUser);
  assert.ok(m['recall@20'] > 0.16 && m['recall@20'] < 0.18, `recall@20 = ${m['recall@20']}`);
  assert.ok(m['recall@10'] < m['recall@20']);
  assert.ok(m['ndcg@20'] > 0.19 && m['ndcg@20'] < 0.24, `ndcg@20 = ${m['ndcg@20']}`);
});
