// Top-k selection for sparsified updates: the indices of the k largest-magnitude values, in increasing order,
// found without sorting by a radix select on the float32 bit patterns (the bits of |x| order like |x|): a
// histogram of the top 15 magnitude bits finds the bucket holding the k-th largest, a second pass gathers
// the indices of that bucket and above (few), and among those a histogram of the bucket's low 16 bits finds
// the exact threshold: every value above it is kept, and as many equal to it (lowest index first) as make k.
// A large array with a small k first tries one pass: a threshold from a sample of every 64th value that
// should let through about 1.5 k values, whose exact top k is then selected as above; if fewer than k or too
// many pass (a sample that misleads), it falls back to the two passes, so the result is always exact. NaN ranks above infinity, so a NaN is always sent and
// the receiver rejects the update instead of never seeing it.

const HIGH_BUCKETS = 1 << 15;
const LOW_BUCKETS = 1 << 16;
const SAMPLE_STRIDE = 64;
/** Arrays from this size, with k at most an eighth of them, try the sampled threshold first. */
const SAMPLED_FROM = 1 << 16;

/** The indices, strictly increasing, of the `k` values of largest magnitude (ties: lowest index first). */
export function topKIndices(values: Float32Array, k: number): Uint32Array {
  const n = values.length;
  if (!Number.isInteger(k) || k < 0 || k > n) throw new RangeError(`top-k selection: k = ${k} for ${n} values`);
  const out = new Uint32Array(k);
  if (k === n) {
    for (let i = 0; i < n; i++) out[i] = i;
    return out;
  }
  if (k === 0) return out;
  if (n >= SAMPLED_FROM && k <= n / 8) {
    const found = sampledTopK(values, k);
    if (found) return found;
  }
  return exactTopK(values, k, out);
}

/** The top k of `values` (exact) from those above a sampled threshold, or undefined when it misled. */
function sampledTopK(values: Float32Array, k: number): Uint32Array | undefined {
  const n = values.length;
  const bits = new Int32Array(values.buffer, values.byteOffset, n);
  const high = new Uint32Array(HIGH_BUCKETS);
  let sampled = 0;
  for (let i = 0; i < n; i += SAMPLE_STRIDE) {
    high[(bits[i] >>> 16) & 0x7fff]++;
    sampled++;
  }
  const wanted = Math.ceil((1.5 * k * sampled) / n) + 16;
  let bucket = HIGH_BUCKETS - 1;
  let seen = high[bucket];
  while (seen < wanted && bucket > 0) seen += high[--bucket];
  const threshold = bucket << 16;
  const capacity = 4 * k + 1024;
  const candidates = new Uint32Array(capacity);
  let c = 0;
  for (let i = 0; i < n; i++) {
    if ((bits[i] & 0x7fffffff) >= threshold) {
      if (c === capacity) return undefined;
      candidates[c++] = i;
    }
  }
  if (c < k) return undefined;
  // Candidates are in index order, so ties among them still go to the lowest index.
  const picked = new Float32Array(c);
  for (let i = 0; i < c; i++) picked[i] = values[candidates[i]];
  const inner = exactTopK(picked, k, new Uint32Array(k));
  for (let i = 0; i < k; i++) inner[i] = candidates[inner[i]];
  return inner;
}

/** The top k (0 < k < values.length) by a histogram pass and a gathering pass, into `out`. */
function exactTopK(values: Float32Array, k: number, out: Uint32Array): Uint32Array {
  const n = values.length;
  const bits = new Int32Array(values.buffer, values.byteOffset, n);

  const high = new Uint32Array(HIGH_BUCKETS);
  for (let i = 0; i < n; i++) high[(bits[i] >>> 16) & 0x7fff]++;
  let bucket = HIGH_BUCKETS - 1;
  let above = 0;
  while (above + high[bucket] < k) above += high[bucket--];

  // Everything in the k-th value's bucket or above, in index order: the only full pass after the histogram.
  const candidates = new Uint32Array(above + high[bucket]);
  let c = 0;
  for (let i = 0; i < n; i++) if (((bits[i] >>> 16) & 0x7fff) >= bucket) candidates[c++] = i;
  if (candidates.length === k) return candidates;

  // Too many: the exact threshold among the bucket's values, by their low 16 bits.
  const needed = k - above;
  const low = new Uint32Array(LOW_BUCKETS);
  for (let i = 0; i < candidates.length; i++) {
    const a = bits[candidates[i]] & 0x7fffffff;
    if (a >>> 16 === bucket) low[a & 0xffff]++;
  }
  let lowBucket = LOW_BUCKETS - 1;
  let taken = 0;
  while (taken + low[lowBucket] < needed) taken += low[lowBucket--];
  const threshold = (bucket << 16) | lowBucket;
  let ties = needed - taken;
  let j = 0;
  for (let i = 0; i < candidates.length; i++) {
    const a = bits[candidates[i]] & 0x7fffffff;
    if (a > threshold) out[j++] = candidates[i];
    else if (a === threshold && ties > 0) {
      out[j++] = candidates[i];
      ties--;
    }
  }
  return out;
}
