import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../src/index.js';

test('the same seed gives the same stream, another seed another stream', () => {
  const a = new SeededRandom(42);
  const b = new SeededRandom(42);
  const c = new SeededRandom(43);
  const sa = Array.from({ length: 8 }, () => a.nextUint32());
  assert.deepEqual(
    sa,
    Array.from({ length: 8 }, () => b.nextUint32()),
  );
  assert.notDeepEqual(
    sa,
    Array.from({ length: 8 }, () => c.nextUint32()),
  );
});

test('uniform draws are in [0, 1) with mean near 1/2, normals have mean 0 and variance 1', () => {
  const r = new SeededRandom(7);
  let sum = 0;
  let sumN = 0;
  let sumN2 = 0;
  const n = 100_000;
  for (let i = 0; i < n; i++) {
    const u = r.next();
    assert.ok(u >= 0 && u < 1);
    sum += u;
    const z = r.normal();
    sumN += z;
    sumN2 += z * z;
  }
  assert.ok(Math.abs(sum / n - 0.5) < 0.01);
  assert.ok(Math.abs(sumN / n) < 0.02);
  assert.ok(Math.abs(sumN2 / n - 1) < 0.02);
});

test('fork gives independent, reproducible streams', () => {
  const base = new SeededRandom(1);
  assert.equal(base.fork('a').nextUint32(), new SeededRandom(1).fork('a').nextUint32());
  assert.notEqual(base.fork('a').nextUint32(), base.fork('b').nextUint32());
});
