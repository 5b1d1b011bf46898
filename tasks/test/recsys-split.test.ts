import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadInteractions, ml100kSource, splitPerUser, groupItemsByUser, type Interactions } from '../src/recsys/index.js';

const ml100k = loadInteractions(ml100kSource());

test('splitPerUser is deterministic for a seed and differs across seeds', () => {
  const a = splitPerUser(ml100k, { seed: 7 });
  const b = splitPerUser(ml100k, { seed: 7 });
  const c = splitPerUser(ml100k, { seed: 8 });
  assert.deepEqual(
    a.test.map((t) => Array.from(t)),
    b.test.map((t) => Array.from(t)),
  );
  assert.notDeepEqual(
    a.test.map((t) => Array.from(t)),
    c.test.map((t) => Array.from(t)),
  );
});

test('splitPerUser holds out round(20%) of each user, disjoint from train, sorted, covering all items', () => {
  const split = splitPerUser(ml100k, { seed: 1 });
  const byUser = groupItemsByUser(ml100k);
  let testTotal = 0;
  for (let u = 0; u < split.numUsers; u++) {
    const train = Array.from(split.train[u]);
    const held = Array.from(split.test[u]);
    assert.equal(held.length, Math.round(byUser[u].length * 0.2));
    assert.deepEqual(
      [...train, ...held].sort((x, y) => x - y),
      Array.from(byUser[u]),
    );
    assert.deepEqual(
      train,
      [...train].sort((x, y) => x - y),
    );
    assert.deepEqual(
      held,
      [...held].sort((x, y) => x - y),
    );
    testTotal += held.length;
  }
  assert.equal(testTotal, 20000);
});

test('users with fewer than 2 interactions keep everything in train; testFraction is validated', () => {
  const data: Interactions = {
    numUsers: 3,
    numItems: 4,
    userIds: ['a', 'b', 'c'],
    itemIds: ['0', '1', '2', '3'],
    users: Int32Array.from([0, 1, 1, 2, 2, 2, 2]),
    items: Int32Array.from([3, 0, 1, 0, 1, 2, 3]),
    timestamps: new Float64Array(7),
    source: 'inline',
  };
  const split = splitPerUser(data, { seed: 3, testFraction: 0.5 });
  assert.deepEqual(Array.from(split.train[0]), [3]);
  assert.equal(split.test[0].length, 0);
  assert.equal(split.test[1].length, 1);
  assert.equal(split.test[2].length, 2);
  assert.throws(() => splitPerUser(data, { seed: 3, testFraction: 1 }), /testFraction must be in \(0, 1\), got 1/);
});
