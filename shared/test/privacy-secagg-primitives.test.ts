import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  FixedPointCodec,
  NeighbourGraph,
  SecureAggregationAbortError,
  applyMask,
  generateKeyPair,
  openShares,
  pairwiseMaskKey,
  reconstructSecret,
  sealShares,
  secAggParameters,
  sessionIdOf,
  shareSecret,
} from '../src/index.js';
import { seeded } from './privacy-secagg-fixtures.js';

test('Shamir: any t of the shares give the secret back, t - 1 do not', () => {
  const random = seeded(1);
  const secret = random.fill(new Uint8Array(32));
  const xs = [3, 7, 8, 20, 21, 40, 41, 99];
  const shares = shareSecret(secret, xs, 5, random);
  for (const pick of [
    [0, 1, 2, 3, 4],
    [3, 4, 5, 6, 7],
    [7, 1, 5, 0, 2],
  ]) {
    assert.deepEqual(
      reconstructSecret(
        pick.map((i) => shares[i]),
        5,
      ),
      secret,
    );
  }
  assert.notDeepEqual(reconstructSecret(shares.slice(0, 4), 4), secret);
  assert.throws(() => reconstructSecret(shares.slice(0, 4), 5), /4 shares given, 5 needed/);
  assert.throws(() => shareSecret(secret, [1, 1, 2], 2, random), /distinct/);
});

test('X25519 + HKDF: both sides of a pair derive the same mask key, bound to the session and the pair', () => {
  const random = seeded(2);
  const a = generateKeyPair(random);
  const b = generateKeyPair(random);
  const c = generateKeyPair(random);
  const session = sessionIdOf('round-7');
  const ab = pairwiseMaskKey(a.secretKey, b.publicKey, session, 1, 2);
  assert.deepEqual(pairwiseMaskKey(b.secretKey, a.publicKey, session, 2, 1), ab);
  assert.notDeepEqual(pairwiseMaskKey(a.secretKey, b.publicKey, sessionIdOf('round-8'), 1, 2), ab);
  assert.notDeepEqual(pairwiseMaskKey(a.secretKey, c.publicKey, session, 1, 3), ab);
  assert.throws(() => pairwiseMaskKey(a.secretKey, new Uint8Array(32), session, 1, 2), SecureAggregationAbortError);
});

test('masks are the ChaCha20 keystream (RFC 8439 zero-key vector) and cancel exactly', () => {
  const words = applyMask(new Uint32Array(8), new Uint8Array(32), 1);
  const bytes = new Uint8Array(words.buffer);
  assert.equal(Buffer.from(bytes).toString('hex'), '76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7');
  const random = seeded(3);
  const key = random.fill(new Uint8Array(32));
  const original = Uint32Array.from({ length: 70000 }, () => random.nextUint32());
  const masked = applyMask(original.slice(), key, 1);
  assert.notDeepEqual(masked.subarray(0, 100), original.subarray(0, 100));
  assert.deepEqual(applyMask(masked, key, -1), original);
});

test('sealed shares open only for their receiver, unaltered', () => {
  const random = seeded(4);
  const key = random.fill(new Uint8Array(32));
  const session = sessionIdOf('s');
  const [maskKeyShare, selfSeedShare] = [0, 1].map(() => shareSecret(random.fill(new Uint8Array(32)), [5], 1, random)[0]);
  const sealed = sealShares(key, session, 3, 5, { maskKeyShare, selfSeedShare });
  const opened = openShares(key, session, 3, 5, sealed);
  assert.deepEqual(opened.maskKeyShare.limbs, maskKeyShare.limbs);
  assert.deepEqual(opened.selfSeedShare.limbs, selfSeedShare.limbs);
  assert.throws(() => openShares(key, session, 3, 6, sealed), /failed authentication/);
  assert.throws(() => openShares(key, sessionIdOf('other'), 3, 5, sealed), /failed authentication/);
});

test('the neighbour graph is k-regular, symmetric, the same for everyone with the seed, and complete for k >= n - 1', () => {
  const parties = Array.from({ length: 50 }, (_, i) => 2 * i + 1);
  const seed = sessionIdOf('graph');
  const graph = new NeighbourGraph(parties, 8, seed);
  for (const p of parties) {
    const ns = graph.neighbours(p);
    assert.equal(ns.length, 8);
    assert.ok(!ns.includes(p));
    for (const q of ns) assert.ok(graph.areNeighbours(q, p));
  }
  const again = new NeighbourGraph([...parties].reverse(), 8, seed);
  for (const p of parties) assert.deepEqual(again.neighbours(p), graph.neighbours(p));
  const other = new NeighbourGraph(parties, 8, sessionIdOf('other'));
  assert.ok(parties.some((p) => other.neighbours(p).join() !== graph.neighbours(p).join()));
  assert.equal(new NeighbourGraph(parties.slice(0, 9), 8, seed).neighbours(1).length, 8);
  assert.throws(() => new NeighbourGraph(parties, 7, seed), /even/);
});

test('the degree grows like log n: complete up to ~300 devices at a third dropping, 312 at 1,000; majority threshold', () => {
  assert.deepEqual(secAggParameters(100), { degree: 99, threshold: 50 });
  assert.deepEqual(secAggParameters(1000), { degree: 312, threshold: 157 });
  assert.ok(secAggParameters(10000).degree <= 360);
  assert.deepEqual(secAggParameters(1000, { dropoutRate: 0.1 }), { degree: 38, threshold: 20 });
});

test("fixed point: a sum of n values decodes within n / (2S), even at the codec's capacity with every value at the range", () => {
  const codec = new FixedPointCodec({ clipRange: 2, maxParties: 1000 });
  const random = seeded(5);
  for (const n of [1, 10, 1000]) {
    let words = 0;
    let exact = 0;
    for (let i = 0; i < n; i++) {
      const v = 4 * random.nextDouble() - 2;
      exact += v;
      words = (words + codec.encode(v)) >>> 0;
    }
    assert.ok(Math.abs(codec.decode(words) - exact) <= codec.sumErrorBound(n), `n ${n}`);
  }
  for (const extreme of [2, -2]) {
    let words = 0;
    for (let i = 0; i < 1000; i++) words = (words + codec.encode(extreme)) >>> 0;
    assert.ok(Math.abs(codec.decode(words) - 1000 * extreme) <= codec.sumErrorBound(1000), `no wrap-around at ${extreme}`);
  }
  const out = new Uint32Array(3);
  assert.equal(codec.encodeInto(out, 0, [5, -0.5, -7]), 2);
  assert.equal(codec.decode(out[0]), codec.decode(codec.encode(2)));
  assert.throws(() => codec.encodeInto(out, 0, [NaN]), /NaN/);
});
