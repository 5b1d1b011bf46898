// The synthetic recommender data: reproducible, well formed, and with planted structure that a learner can
// find (the planted scores rank held-out items far better than popularity; BPR-MF recovers much of it).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '@strata/shared';
import { CentralizedBprTrainer, Popularity, evaluateRanking, generateSyntheticRecsysData, splitPerUser } from '@strata/tasks';

test('the same seed gives the same data; every user has distinct sorted items, at least the minimum', () => {
  const a = generateSyntheticRecsysData({ users: 300, items: 200, seed: 4 });
  const b = generateSyntheticRecsysData({ users: 300, items: 200, seed: 4 });
  const c = generateSyntheticRecsysData({ users: 300, items: 200, seed: 5 });
  assert.deepEqual(a.interactions.items, b.interactions.items);
  assert.notDeepEqual(a.interactions.items, c.interactions.items);
  const { users, items, numUsers } = a.interactions;
  assert.equal(numUsers, 300);
  const counts = new Int32Array(numUsers);
  for (let k = 0; k < users.length; k++) {
    counts[users[k]]++;
    if (k > 0 && users[k] === users[k - 1]) assert.ok(items[k] > items[k - 1], `user ${users[k]}: items not strictly increasing`);
    if (k > 0) assert.ok(users[k] >= users[k - 1], 'rows ordered by user');
  }
  assert.ok(counts.every((n) => n >= 5));
  const mean = users.length / numUsers;
  assert.ok(mean > 18 && mean < 32, `mean interactions per user ${mean}, configured 25`);
  // Users are numbered community by community.
  assert.deepEqual([a.userCommunity[0], a.userCommunity[299]], [0, 7]);
  assert.ok(a.userCommunity.every((c, u) => u === 0 || c >= a.userCommunity[u - 1]));
});

test('the planted structure is learnable: planted scores > BPR-MF > popularity on held-out items', async () => {
  const data = generateSyntheticRecsysData({ users: 400, items: 300, seed: 1 });
  const split = splitPerUser(data.interactions, { seed: 1 });
  const planted = evaluateRanking(split, data.plantedScorer)['recall@20'];
  const popularity = evaluateRanking(split, new Popularity(split).scoreUser)['recall@20'];
  const model = await new CentralizedBprTrainer(split, { threads: 1, epochs: 30, seed: 1, dim: 16 }).train(() => {});
  const learnt = evaluateRanking(split, model.scoreUser)['recall@20'];
  assert.ok(planted > learnt && learnt > popularity + 0.1, `planted ${planted}, BPR-MF ${learnt}, popularity ${popularity}`);
  const unstructured = generateSyntheticRecsysData({ users: 400, items: 300, seed: 1, affinity: 0 });
  const flatSplit = splitPerUser(unstructured.interactions, { seed: 1 });
  const noSignal = evaluateRanking(flatSplit, unstructured.plantedScorer)['recall@20'];
  const flatPopularity = evaluateRanking(flatSplit, new Popularity(flatSplit).scoreUser)['recall@20'];
  assert.ok(
    Math.abs(noSignal - flatPopularity) < 0.03,
    `without affinity there is nothing but popularity: ${noSignal} vs ${flatPopularity}`,
  );
});

test('bad options fail naming the option', () => {
  assert.throws(
    () => generateSyntheticRecsysData({ items: 1 }),
    (e: unknown) => e instanceof ConfigError && /items/.test(e.message),
  );
  assert.throws(() => generateSyntheticRecsysData({ communities: 50, users: 10 }), /communities \(50\) must not exceed users \(10\)/);
  assert.throws(() => generateSyntheticRecsysData({ itmes: 10 } as never), /unknown synthetic data option "itmes"/);
});
