// Top-k selection for sparsified updates: the indices of the k largest-magnitude values, in increasing order,
// found without sorting by a radix select on the float32 bit patterns (the bits of |x| order like |x|): a
// histogram of the top 15 magnitude bits finds the bucket holding the k-th largest, a histogram of the low
// 16 bits of that bucket's values the exact threshold, and a last pass gathers every value above it and as
// many equal to it (lowest index first) as make k. NaN ranks above infinity, so a NaN is always sent and
// the receiver rejects the update instead of never seeing it.

const HIGH_BUCKETS = 1 << 15;
const LOW_BUCKETS = 1 << 16;

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
  const bits = new Uint32Array(values.buffer, values.byteOffset, n);

  const high = new Uint32Array(HIGH_BUCKETS);
  for (let i = 0; i < n; i++) high[(bits[i] & 0x7fffffff) >>> 16]++;
  let bucket = HIGH_BUCKETS - 1;
  let above = 0;
  while (above + high[bucket] < k) above += high[bucket--];
  const needed = k - above;

  // The whole bucket goes: everything from its first pattern up, no ties to break.
  let threshold = (bucket << 16) - 1;
  let ties = 0;
  if (needed < high[bucket]) {
    const low = new Uint32Array(LOW_BUCKETS);
    for (let i = 0; i < n; i++) {
      const a = bits[i] & 0x7fffffff;
      if (a >>> 16 === bucket) low[a & 0xffff]++;
    }
    let lowBucket = LOW_BUCKETS - 1;
    let taken = 0;
    while (taken + low[lowBucket] < needed) taken += low[lowBucket--];
    threshold = (bucket << 16) | lowBucket;
    ties = needed - taken;
  }

  let j = 0;
  for (let i = 0; i < n; i++) {
    const a = bits[i] & 0x7fffffff;
    if (a > threshold) out[j++] = i;
    else if (a === threshold && ties > 0) {
      out[j++] = i;
      ties--;
    }
  }
  return out;
}
