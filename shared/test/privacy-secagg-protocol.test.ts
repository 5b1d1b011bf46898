import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AdaptiveClipNorm,
  addGaussianNoise,
  clipUpdate,
  distributedNoiseStd,
  type FixedPointCodec,
  type MaskedVectorLayout,
  SecAggDevice,
  SecAggEdge,
  SecureAggregationAbortError,
  SecureAggregationMessageError,
  secAggParameters,
  sessionIdOf,
  type ModelUpdate,
  type SecureAggregate,
  type SparseRows,
  type TensorValue,
} from '../src/index.js';
import { sparseWeightedMean } from '../src/fl/aggregation/sparse-weighted-mean.js';
import { layoutFor, runRound, seeded } from './privacy-secagg-fixtures.js';

const ITEMS = 200;
const FACTORS = 8;
const DENSE = 300;
const WEIGHT_CAP = 10;

/** Updates shaped like a recommender's: a dense tensor and an item table each device touches at a few rows. */
function recommenderUpdates(n: number, label: number): ModelUpdate[] {
  const random = seeded(label);
  return Array.from({ length: n }, () => {
    const touched = new Set<number>();
    while (touched.size < 5 + (random.nextUint32() % 10)) touched.add(random.nextUint32() % ITEMS);
    const rows = Uint32Array.from([...touched].sort((a, b) => a - b));
    const items: SparseRows = {
      kind: 'sparse',
      shape: [ITEMS, FACTORS],
      rows,
      values: Float32Array.from({ length: rows.length * FACTORS }, () => 0.05 * random.normal()),
      rowWeights: Float32Array.from(rows, () => 1 + (random.nextUint32() % 3)),
    };
    const weight = 1 + (random.nextUint32() % WEIGHT_CAP);
    const dense = Float32Array.from({ length: DENSE }, () => 0.1 * random.normal());
    const delta = new Map<string, TensorValue>([
      ['user.bias', { kind: 'dense', shape: [DENSE], values: dense }],
      ['item.factors', items],
    ]);
    return { delta, weight, metrics: {} };
  });
}

const abortedWith = (e: unknown, reason: SecureAggregationAbortError['reason']): boolean =>
  e instanceof SecureAggregationAbortError && e.reason === reason;

const tensors = [
  { name: 'user.bias', shape: [DENSE], rowWeighted: false },
  { name: 'item.factors', shape: [ITEMS, FACTORS], rowWeighted: true },
];

/**
 * The plaintext answer and the error bound: each decoded sum is within n/(2S) encoded units per coordinate,
 * i.e. W n / (2S) on Σ w x and (W/R) n / (2S) on Σ w, and a mean a/b with |Δa| <= ea, |Δb| <= eb is off by at
 * most (ea + |a/b| eb) / (b - eb); the float32 result adds at most 2^-24 of its magnitude.
 */
function assertMatchesPlaintext(aggregate: SecureAggregate, updates: readonly ModelUpdate[], codec: FixedPointCodec): void {
  const n = updates.length;
  const unit = codec.sumErrorBound(n);
  const numeratorError = WEIGHT_CAP * unit;
  const weightError = (WEIGHT_CAP / codec.clipRange) * unit;
  const meanBound = (mean: number, weight: number): number =>
    (numeratorError + Math.abs(mean) * weightError) / (weight - weightError) + Math.abs(mean) * 2 ** -24;
  const weight = updates.reduce((s, u) => s + u.weight, 0);
  assert.equal(aggregate.parties, n);
  assert.ok(Math.abs(aggregate.weight - weight) <= weightError, `weight ${aggregate.weight} vs ${weight}`);

  const dense = aggregate.mean.delta.get('user.bias')!;
  for (let i = 0; i < DENSE; i++) {
    let sum = 0;
    for (const u of updates) sum += u.weight * u.delta.get('user.bias')!.values[i];
    const expected = sum / weight;
    assert.ok(Math.abs(dense.values[i] - expected) <= meanBound(expected, weight), `user.bias[${i}]: ${dense.values[i]} vs ${expected}`);
  }
  const itemTables = updates.map((u) => u.delta.get('item.factors') as SparseRows);
  const plain = sparseWeightedMean(
    [ITEMS, FACTORS],
    itemTables,
    updates.map((u) => u.weight),
  );
  const secure = aggregate.mean.delta.get('item.factors') as SparseRows;
  assert.equal(secure.kind, 'sparse');
  assert.deepEqual([...secure.rows], [...plain.rows], 'the rows held by some device, and only those');
  for (let k = 0; k < plain.rows.length; k++) {
    assert.ok(Math.abs(secure.rowWeights![k] - plain.rowWeights![k]) <= weightError);
    for (let c = 0; c < FACTORS; c++) {
      const expected = plain.values[k * FACTORS + c];
      const got = secure.values[k * FACTORS + c];
      assert.ok(Math.abs(got - expected) <= meanBound(expected, plain.rowWeights![k]), `item ${plain.rows[k]}.${c}: ${got} vs ${expected}`);
    }
  }
}

test('the unmasked sum gives the plaintext weighted mean (dense and per-row sparse) within the fixed-point bound', async () => {
  const updates = recommenderUpdates(12, 1);
  const { degree, threshold } = secAggParameters(12);
  const { aggregate, layout } = await runRound({ tensors, updates, degree, threshold, weightCap: WEIGHT_CAP });
  assertMatchesPlaintext(aggregate, updates, layout.codec);
});

test('a third of the devices dropping out after sharing, before their input arrives: the sum of the rest is right', async () => {
  const updates = recommenderUpdates(30, 2);
  const { degree, threshold } = secAggParameters(30);
  const dropped = new Set([0, 3, 4, 8, 11, 15, 17, 21, 26, 29]);
  const { aggregate, edge, layout } = await runRound({
    tensors,
    updates,
    degree,
    threshold,
    weightCap: WEIGHT_CAP,
    dropBeforeInput: dropped,
  });
  assert.equal(edge.stats().droppedAfterSharing, 10);
  assertMatchesPlaintext(
    aggregate,
    updates.filter((_, i) => !dropped.has(i)),
    layout.codec,
  );
});

test('a third of the devices going silent after sending their masked input: their inputs are still in the sum', async () => {
  const updates = recommenderUpdates(30, 3);
  const { degree, threshold } = secAggParameters(30);
  const silent = new Set([1, 2, 5, 7, 10, 13, 19, 20, 24, 28]);
  const { aggregate, edge, layout } = await runRound({
    tensors,
    updates,
    degree,
    threshold,
    weightCap: WEIGHT_CAP,
    dropAfterInput: silent,
  });
  assert.equal(edge.stats().unmaskResponses, 20);
  assertMatchesPlaintext(aggregate, updates, layout.codec);
});

test('SecAgg+ on a sparse graph (40 devices, 10 neighbours each, threshold 6) with dropouts gives the right sum', async () => {
  const updates = recommenderUpdates(40, 4);
  const dropped = new Set([5, 17, 33]);
  const { aggregate, layout } = await runRound({
    tensors,
    updates,
    degree: 10,
    threshold: 6,
    weightCap: WEIGHT_CAP,
    dropBeforeInput: dropped,
  });
  assertMatchesPlaintext(
    aggregate,
    updates.filter((_, i) => !dropped.has(i)),
    layout.codec,
  );
});

/** Pearson's chi-square of the 256 values of one byte of each word against the uniform distribution. */
function chiSquareOfByte(words: Uint32Array, shift: number): number {
  const counts = new Float64Array(256);
  for (const w of words) counts[(w >>> shift) & 0xff]++;
  const expected = words.length / 256;
  return counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
}
// The 0.999 quantile of chi-square with 255 degrees of freedom: a uniform source exceeds it once in 1,000.
const CHI2_255_999 = 330.52;

/** Masked inputs as the edge receives them, for one round of `n` devices. */
async function maskedInputsOf(updates: readonly ModelUpdate[], layout: MaskedVectorLayout): Promise<Uint32Array[]> {
  const n = updates.length;
  const { degree, threshold } = secAggParameters(n);
  const session = { sessionId: sessionIdOf('view'), degree, threshold, layout };
  const devices = updates.map((_, i) => new SecAggDevice(i + 1, session, seeded(50 + i)));
  const edge = new SecAggEdge(session);
  for (const d of devices) edge.receiveKeys(d.advertiseKeys());
  const rosters = edge.closeAdvertising();
  for (const d of devices) edge.receiveShares(await d.shareKeys(rosters.get(d.party)!));
  const deliveries = edge.closeSharing();
  const inputs: Uint32Array[] = [];
  for (const [i, d] of devices.entries()) inputs.push((await d.maskInput(updates[i], deliveries.get(d.party)!)).words);
  return inputs;
}

test("the edge's view of one device's masked vector is indistinguishable from uniform words (chi-square)", async () => {
  const updates = recommenderUpdates(6, 5);
  const layout = layoutFor({ tensors, updates, weightCap: WEIGHT_CAP });
  const [masked] = await maskedInputsOf(updates, layout);
  assert.ok(masked.length > 1800);
  for (const shift of [0, 8, 16, 24]) {
    const chi2 = chiSquareOfByte(masked, shift);
    assert.ok(chi2 < CHI2_255_999, `byte at bit ${shift}: chi-square ${chi2.toFixed(1)}`);
  }
  // The same test tells the unmasked encoding apart at once (so it can fail).
  assert.ok(chiSquareOfByte(layout.encode(updates[0]).words, 24) > 10 * CHI2_255_999);
});

test("the edge cannot recover a device's touched items from its masked vector, though it can from the plain encoding", async () => {
  const updates = recommenderUpdates(6, 6);
  const layout = layoutFor({ tensors, updates, weightCap: WEIGHT_CAP });
  const masked = await maskedInputsOf(updates, layout);
  const lengths = new Set(masked.map((m) => m.length));
  assert.equal(lengths.size, 1, 'every device sends the same number of words, whatever it touched');
  // The natural attack: an untouched row encodes as zeros, so rank rows by the magnitude of their weight word.
  const weightOffset = DENSE + ITEMS * FACTORS;
  const guess = (words: Uint32Array, count: number): number[] =>
    Array.from({ length: ITEMS }, (_, r) => r)
      .sort((a, b) => Math.abs(words[weightOffset + b] | 0) - Math.abs(words[weightOffset + a] | 0))
      .slice(0, count);
  let hits = 0;
  let guesses = 0;
  for (const [i, update] of updates.entries()) {
    const touched = new Set((update.delta.get('item.factors') as SparseRows).rows);
    const plain = guess(layout.encode(update).words, touched.size);
    assert.ok(
      plain.every((r) => touched.has(r)),
      'the unmasked encoding gives the touched set away',
    );
    hits += guess(masked[i], touched.size).filter((r) => touched.has(r)).length;
    guesses += touched.size;
  }
  // Chance: a random row is touched with probability about guesses / (6 · ITEMS); allow four standard deviations.
  const p = guesses / (updates.length * ITEMS);
  const chance = guesses * p;
  assert.ok(hits <= chance + 4 * Math.sqrt(guesses * p * (1 - p)) + 1, `${hits} of ${guesses} guesses right, chance ${chance.toFixed(1)}`);
});

test('a device that reveals a wrong share aborts the round with share_mismatch, never a wrong sum', async () => {
  const updates = recommenderUpdates(10, 7);
  const { degree, threshold } = secAggParameters(10);
  // Party 1 answers first and its share is among those the edge interpolates from.
  const tamperUnmask = (r: Parameters<NonNullable<Parameters<typeof runRound>[0]['tamperUnmask']>>[0]) => {
    if (r.party !== 1) return r;
    const share = r.selfSeedShares[0].share.slice();
    share[0] ^= 1;
    return { ...r, selfSeedShares: [{ ...r.selfSeedShares[0], share }, ...r.selfSeedShares.slice(1)] };
  };
  await assert.rejects(
    () => runRound({ tensors, updates, degree, threshold, weightCap: WEIGHT_CAP, tamperUnmask }),
    (e: unknown) => abortedWith(e, 'share_mismatch') && /does not match its commitment/.test((e as Error).message),
  );
});

test("a wrong share of a dropped device's mask key is caught against its public key", async () => {
  const updates = recommenderUpdates(10, 8);
  const { degree, threshold } = secAggParameters(10);
  const tamperUnmask = (r: Parameters<NonNullable<Parameters<typeof runRound>[0]['tamperUnmask']>>[0]) => {
    if (r.party !== 1 || r.maskKeyShares.length === 0) return r;
    const share = r.maskKeyShares[0].share.slice();
    share[5] ^= 0x40;
    return { ...r, maskKeyShares: [{ ...r.maskKeyShares[0], share }] };
  };
  await assert.rejects(
    () => runRound({ tensors, updates, degree, threshold, weightCap: WEIGHT_CAP, dropBeforeInput: new Set([9]), tamperUnmask }),
    (e: unknown) => abortedWith(e, 'share_mismatch') && /public key/.test((e as Error).message),
  );
});

test('too few shares coming back aborts the round with too_few_shares', async () => {
  const updates = recommenderUpdates(10, 9);
  const { degree, threshold } = secAggParameters(10);
  assert.equal(threshold, 5);
  // 6 of 10 answer: a survivor's seed needs 5 shares from its 9 neighbours, of which 5 or 6 answered: enough.
  // 4 answer: not enough.
  const silentAtUnmask = new Set([0, 1, 2, 3, 4, 5]);
  await assert.rejects(
    () => runRound({ tensors, updates, degree, threshold, weightCap: WEIGHT_CAP, silentAtUnmask }),
    (e: unknown) => abortedWith(e, 'too_few_shares') && /4 shares .* 5 are needed/.test((e as Error).message),
  );
});

test('fewer inputs than the threshold: the edge aborts, and a device refuses to unmask for too few survivors', async () => {
  const updates = recommenderUpdates(8, 10);
  const { degree, threshold } = secAggParameters(8);
  const dropBeforeInput = new Set([0, 1, 2, 3, 4]);
  await assert.rejects(
    () => runRound({ tensors, updates, degree, threshold, weightCap: WEIGHT_CAP, dropBeforeInput }),
    (e: unknown) => abortedWith(e, 'too_few_devices'),
  );
  const layout = layoutFor({ tensors, updates, weightCap: WEIGHT_CAP });
  const session = { sessionId: sessionIdOf('few'), degree, threshold, layout };
  const devices = updates.map((_, i) => new SecAggDevice(i + 1, session, seeded(70 + i)));
  const edge = new SecAggEdge(session);
  for (const d of devices) edge.receiveKeys(d.advertiseKeys());
  const rosters = edge.closeAdvertising();
  for (const d of devices) edge.receiveShares(await d.shareKeys(rosters.get(d.party)!));
  const deliveries = edge.closeSharing();
  await devices[0].maskInput(updates[0], deliveries.get(1)!);
  // A lying edge that calls device 1 the only survivor would learn its input from the seed share and key shares.
  assert.throws(
    () => devices[0].unmask({ survivors: [1] }),
    (e: unknown) => abortedWith(e, 'too_few_devices'),
  );
  assert.throws(() => devices[0].unmask({ survivors: [1, 2, 3, 4, 5] }), /at done/);
});

test('sealed shares altered in transit make the receiving device abort with decryption_failed', async () => {
  const updates = recommenderUpdates(5, 11);
  const layout = layoutFor({ tensors, updates, weightCap: WEIGHT_CAP });
  const session = { sessionId: sessionIdOf('tamper'), degree: 4, threshold: 3, layout };
  const devices = updates.map((_, i) => new SecAggDevice(i + 1, session, seeded(80 + i)));
  const edge = new SecAggEdge(session);
  for (const d of devices) edge.receiveKeys(d.advertiseKeys());
  const rosters = edge.closeAdvertising();
  for (const d of devices) edge.receiveShares(await d.shareKeys(rosters.get(d.party)!));
  const delivery = edge.closeSharing().get(2)!;
  const ciphertext = delivery.shares[0].ciphertext.slice();
  ciphertext[3] ^= 1;
  const altered = { shares: [{ ...delivery.shares[0], ciphertext }, ...delivery.shares.slice(1)] };
  await assert.rejects(
    () => devices[1].maskInput(updates[1], altered),
    (e: unknown) => abortedWith(e, 'decryption_failed'),
  );
});

test('the edge refuses duplicate, out-of-turn and malformed messages without ending the round', async () => {
  const updates = recommenderUpdates(5, 12);
  const layout = layoutFor({ tensors, updates, weightCap: WEIGHT_CAP });
  const session = { sessionId: sessionIdOf('refuse'), degree: 4, threshold: 3, layout };
  const devices = updates.map((_, i) => new SecAggDevice(i + 1, session, seeded(90 + i)));
  const edge = new SecAggEdge(session);
  const keys = devices.map((d) => d.advertiseKeys());
  for (const k of keys) edge.receiveKeys(k);
  assert.throws(() => edge.receiveKeys(keys[0]), SecureAggregationMessageError);
  assert.throws(() => edge.receiveKeys({ ...keys[0], party: 9 }), /already advertised/);
  assert.throws(() => edge.receiveMaskedInput({ party: 1, words: new Uint32Array(layout.length) }), /at advertise, not mask/);
  const rosters = edge.closeAdvertising();
  const shares = await Promise.all(devices.map((d) => d.shareKeys(rosters.get(d.party)!)));
  assert.throws(() => edge.receiveShares({ ...shares[0], shares: shares[0].shares.slice(1) }), /each neighbour exactly once/);
  for (const s of shares) edge.receiveShares(s);
  const deliveries = edge.closeSharing();
  assert.throws(() => edge.receiveMaskedInput({ party: 1, words: new Uint32Array(3) }), /masked input is/);
  for (const [i, d] of devices.entries()) edge.receiveMaskedInput(await d.maskInput(updates[i], deliveries.get(d.party)!));
  const request = edge.closeMasking();
  for (const d of devices) edge.receiveUnmask(d.unmask(request));
  assert.equal((await edge.finish()).parties, 5);
});

test("distributed DP under secure aggregation: devices' noise shares add up to σC on the unmasked sum", async () => {
  const n = 12;
  const size = 4000;
  const { degree, threshold } = secAggParameters(n);
  const [sigma, clip] = [1.5, 0.2];
  const std = distributedNoiseStd(sigma, clip, n);
  const random = seeded(20);
  const updates = Array.from({ length: n }, () => {
    const values = Float32Array.from({ length: size }, () => random.normal());
    const delta = new Map<string, TensorValue>([['w', { kind: 'dense', shape: [size], values }]]);
    const raw: ModelUpdate = { delta, weight: 1, metrics: {} };
    return addGaussianNoise(clipUpdate(raw, clip).update, std, random);
  });
  // The encoding range must hold a clipped coordinate plus its noise share: C + 6 std.
  const tensors = [{ name: 'w', shape: [size], rowWeighted: false }];
  const { aggregate } = await runRound({ tensors, updates, degree, threshold, weightCap: 1, clipRange: clip + 6 * std });
  const sum = aggregate.weightedSum.get('w')!;
  // The masked sum is the plain sum of the noised updates; its spread is the noise σC (the clipped signal is
  // about C √n / √size per coordinate, negligible beside it).
  const clean = new Float64Array(size);
  let variance = 0;
  for (let i = 0; i < size; i++) {
    for (const u of updates) clean[i] += u.delta.get('w')!.values[i];
    assert.ok(Math.abs(sum[i] - clean[i]) < 1e-4);
    variance += sum[i] * sum[i];
  }
  const measured = Math.sqrt(variance / size);
  assert.ok(Math.abs(measured / (sigma * clip) - 1) < 0.06, `sum std ${measured}, σC ${sigma * clip}`);
});

test('metrics ride under the mask: the edge gets their sums, e.g. the adaptive-clipping report', async () => {
  const n = 9;
  const { degree, threshold } = secAggParameters(n);
  const clip = new AdaptiveClipNorm({ initialClipNorm: 1, countNoiseStd: 0.5 });
  const norms = [0.2, 0.5, 0.9, 1.1, 1.5, 0.3, 2.0, 0.7, 0.95];
  const updates: ModelUpdate[] = norms.map((norm, i) => ({
    delta: new Map<string, TensorValue>([['w', { kind: 'dense', shape: [4], values: Float32Array.of(norm, 0, 0, 0) }]]),
    weight: 1,
    metrics: { clip_report: clip.report(norm), loss_sum: 10 * i + 0.25 },
  }));
  const metrics = [
    { name: 'clip_report', bound: 1 },
    { name: 'loss_sum', bound: 100 },
  ];
  const { aggregate, layout } = await runRound({
    tensors: [{ name: 'w', shape: [4], rowWeighted: false }],
    metrics,
    updates,
    degree,
    threshold,
    weightCap: 1,
    clipRange: 2,
  });
  const unit = layout.codec.sumErrorBound(n);
  const within = norms.filter((x) => x <= 1).length;
  assert.ok(Math.abs(aggregate.mean.metrics.clip_report - (within - n / 2)) <= unit / 2);
  assert.ok(Math.abs(aggregate.mean.metrics.loss_sum - (10 * 36 + 9 * 0.25)) <= 50 * unit);
});
