// Top-k selection for sparsified updates: the indices of the k largest-magnitude values, in increasing order,
// found without sorting by a radix select on the float32 bit patterns (the bits of |x| order like |x|): a
// histogram of the top 15 magnitude bits finds the bucket holding the k-th largest, a second pass gathers
// the indices of that bucket and above (few), and among those a histogram of the bucket's low 16 bits finds
// the exact threshold: every value above it is kept, and as many equal to it (lowest index first) as make k.
// A large array with a small k first tries one pass: a threshold from a sample of 1/64 of the values (a run of
// 64 consecutive values in every 4096, at an offset that moves from window to window) that should let through
// about 1.25 k values, whose exact top k is then selected as above; if fewer than k or too
// many pass (a sample that misleads), it falls back to the two passes, so the result is always exact. That one
// pass is a WebAssembly SIMD kernel (wasm-top-k.ts), or the native codecs' (native-codecs.ts) where a host has
// them. NaN ranks above infinity, so a NaN is always sent and the receiver rejects the update instead of never
// seeing it.

import { nativeCodecs } from './native-codecs.js';
import { indicesAtLeast } from './wasm-top-k.js';

const HIGH_BUCKETS = 1 << 15;
const LOW_BUCKETS = 1 << 16;
/**
 * The sample: SAMPLE_RUN consecutive values in every SAMPLE_WINDOW. Runs instead of every 64th value because
 * the sample's cost was its page walks, not its reads: every 64th value touches every 4 KiB page of the
 * tensor (4,096 pages for 4M values, more than the TLB holds), a run of 64 aligned values one page in four;
 * 65,536 samples of 4M values, cold: 0.9+ ms as a stride, 0.14 ms as runs (0.74 -> 0.24 ms with the
 * tensor in cache).
 */
const SAMPLE_WINDOW = 4096;
const SAMPLE_RUN = 64;
/** Arrays from this size, with k at most an eighth of them, try the sampled threshold first. */
const SAMPLED_FROM = 1 << 16;

/**
 * Scratch arrays kept between calls: the histograms (zeroed on each use) and the sampled pass's candidates
 * and their values. Fresh zeroed arrays of these sizes (128 KiB to a few MiB) are zeroed on every call, and are
 * mapped memory whenever malloc maps new pages (a page fault per 4 KiB on first touch). About 1.4 MB stay
 * allocated for k = 42k.
 */
const scratch = {
  high: new Uint32Array(HIGH_BUCKETS),
  low: new Uint32Array(LOW_BUCKETS),
  candidates: new Uint32Array(0),
  candidateValues: new Float32Array(0),
};

/** The `k` values of largest magnitude and their indices, strictly increasing (ties: lowest index first). */
export interface TopK {
  readonly indices: Uint32Array;
  /** values[indices[i]] for each i. */
  readonly values: Float32Array;
}

/** The indices, strictly increasing, of the `k` values of largest magnitude (ties: lowest index first). */
export function topKIndices(values: Float32Array, k: number): Uint32Array {
  return topK(values, k).indices;
}

/**
 * The `k` values of largest magnitude and their indices. The sampled pass already holds the passing values
 * beside their indices (a small array), so it picks them from there instead of reading them again at k
 * scattered places of the whole array (1.3 ms of cache misses for 42k of 4M values).
 */
export function topK(values: Float32Array, k: number): TopK {
  const n = values.length;
  if (!Number.isInteger(k) || k < 0 || k > n) throw new RangeError(`top-k selection: k = ${k} for ${n} values`);
  const out = new Uint32Array(k);
  if (k === n) {
    for (let i = 0; i < n; i++) out[i] = i;
    return { indices: out, values: pick(values, out) };
  }
  if (k === 0) return { indices: out, values: new Float32Array(0) };
  if (n >= SAMPLED_FROM && k <= n / 8) {
    const found = sampledTopK(values, k, out);
    if (found) return found;
  }
  const indices = exactTopK(values, k, out);
  return { indices, values: pick(values, indices) };
}

/** The top k of `values` (exact, into `out`) from those above a sampled threshold, or undefined when it misled. */
function sampledTopK(values: Float32Array, k: number, out: Uint32Array): TopK | undefined {
  const n = values.length;
  const bits = new Int32Array(values.buffer, values.byteOffset, n);
  const high = scratch.high.fill(0);
  const sampled = sampleHistogram(bits, high);
  // 1.25 k (plus 16 samples): k = 1% of 4M values leaves a margin of 5 standard deviations of the sampled
  // count, and 20% fewer candidates than 1.5 k to filter and select from (topK of 4M normals 3.28 -> 3.08 ms).
  const { bucket } = bucketHolding(high, Math.ceil((1.25 * k * sampled) / n) + 16);
  const room = 4 * k + 1024;
  if (scratch.candidates.length < room) {
    scratch.candidates = new Uint32Array(room);
    scratch.candidateValues = new Float32Array(room);
  }
  const candidates = scratch.candidates.subarray(0, room);
  const candidateValues = scratch.candidateValues.subarray(0, room);
  const c = passingIndices(bits, bucket << 16, candidates, new Int32Array(candidateValues.buffer, 0, room));
  if (c === undefined || c < k) return undefined;
  // Candidates are in index order, so ties among them still go to the lowest index.
  const candidateBits = new Int32Array(candidateValues.buffer, 0, c);
  const counts = highHistogram(candidateBits);
  const { bucket: top, above } = bucketHolding(counts, k);
  const { lowBucket, ties } = lowBucketHolding(bucketLowHistogram(candidateBits, top), k - above);
  const picked = new Float32Array(k);
  keepTopCandidates(candidateBits, candidates, candidateValues, (top << 16) | lowBucket, ties, out, picked);
  return { indices: out, values: picked };
}

/**
 * Into `out` (and their bit patterns into `passing`), the indices of the values whose magnitude bits reach
 * `threshold`, increasing; their count, or undefined when more pass than `out` holds.
 */
function passingIndices(bits: Int32Array, threshold: number, out: Uint32Array, passing?: Int32Array): number | undefined {
  const native = nativeCodecs();
  if (!native) return indicesAtLeast(bits, threshold, out, passing);
  const count = native.indicesAtLeast(bits, threshold, out, passing ?? null);
  return count < 0 ? undefined : count;
}

/** values[indices[i]] for each i (element by element, as any other read of them). */
function pick(values: Float32Array, indices: Uint32Array): Float32Array {
  const picked = new Float32Array(indices.length);
  for (let i = 0; i < indices.length; i++) picked[i] = values[indices[i]];
  return picked;
}

/** The top k (0 < k < values.length) by a histogram pass and a gathering pass, into `out`. */
function exactTopK(values: Float32Array, k: number, out: Uint32Array): Uint32Array {
  const bits = new Int32Array(values.buffer, values.byteOffset, values.length);
  const counts = highHistogram(bits);
  const { bucket, above } = bucketHolding(counts, k);
  // Everything in the k-th value's bucket or above, in index order: the only full pass after the histogram.
  const candidates = new Uint32Array(above + counts[bucket]);
  passingIndices(bits, bucket << 16, candidates);
  if (candidates.length === k) return candidates;
  // Too many: the exact threshold among the bucket's values, by their low 16 bits.
  const { lowBucket, ties } = lowBucketHolding(lowHistogram(bits, candidates, bucket), k - above);
  return keepAbove(bits, candidates, (bucket << 16) | lowBucket, ties, out);
}

// One loop a function: V8 compiles a long loop on stack replacement, and a function holding several would
// leave it, for code after the loop that has never run, on every call (measured: 8 ms instead of 0.2 for
// the exact top k of 63k values).

/** Counts of the top 15 magnitude bits of every value. */
function highHistogram(bits: Int32Array): Uint32Array {
  const high = scratch.high.fill(0);
  for (let i = 0; i < bits.length; i++) high[(bits[i] >>> 16) & 0x7fff]++;
  return high;
}

/**
 * Where the sample's run in window `w` starts: 64 aligned values at an offset that steps by 17 runs from one
 * window to the next (17 is coprime to the 64 runs a window holds), so that tables whose rows are a divisor
 * of the window wide are not sampled in one column or one row of each window.
 */
export function sampleRunStart(w: number): number {
  return w * SAMPLE_WINDOW + SAMPLE_RUN * ((17 * w) % (SAMPLE_WINDOW / SAMPLE_RUN));
}

/** Adds to `high` the counts of the top 15 magnitude bits of the sampled values; returns how many were sampled. */
function sampleHistogram(bits: Int32Array, high: Uint32Array): number {
  const n = bits.length;
  let sampled = 0;
  for (let w = 0; w * SAMPLE_WINDOW < n; w++) {
    const start = sampleRunStart(w);
    const end = Math.min(start + SAMPLE_RUN, n);
    for (let i = start; i < end; i++) high[(bits[i] >>> 16) & 0x7fff]++;
    if (end > start) sampled += end - start;
  }
  return sampled;
}

/** The highest bucket at which the counts from the top reach `count`, and the count above it. */
function bucketHolding(high: Uint32Array, count: number): { bucket: number; above: number } {
  let bucket = HIGH_BUCKETS - 1;
  let above = 0;
  while (above + high[bucket] < count && bucket > 0) above += high[bucket--];
  return { bucket, above };
}

/** Counts of the low 16 bits of the candidates whose top magnitude bits are `bucket`. */
function lowHistogram(bits: Int32Array, candidates: Uint32Array, bucket: number): Uint32Array {
  const low = scratch.low.fill(0);
  for (let i = 0; i < candidates.length; i++) {
    const a = bits[candidates[i]] & 0x7fffffff;
    if (a >>> 16 === bucket) low[a & 0xffff]++;
  }
  return low;
}

/**
 * The highest low bucket at which the counts from the top reach `needed`, and how many of its values are
 * still needed there (the ties kept, lowest index first).
 */
function lowBucketHolding(low: Uint32Array, needed: number): { lowBucket: number; ties: number } {
  let lowBucket = LOW_BUCKETS - 1;
  let taken = 0;
  while (taken + low[lowBucket] < needed) taken += low[lowBucket--];
  return { lowBucket, ties: needed - taken };
}

/** Counts of the low 16 bits of the values of `bits` whose top magnitude bits are `bucket`. */
function bucketLowHistogram(bits: Int32Array, bucket: number): Uint32Array {
  const low = scratch.low.fill(0);
  for (let i = 0; i < bits.length; i++) {
    const a = bits[i] & 0x7fffffff;
    if (a >>> 16 === bucket) low[a & 0xffff]++;
  }
  return low;
}

/**
 * Into `indices` and `picked`: of the candidates (their bit patterns `bits`, their indices `at` and their
 * values `values`, in index order), those above `threshold` and the first `ties` equal to it.
 */
function keepTopCandidates(
  bits: Int32Array,
  at: Uint32Array,
  values: Float32Array,
  threshold: number,
  ties: number,
  indices: Uint32Array,
  picked: Float32Array,
): void {
  let j = 0;
  let left = ties;
  for (let i = 0; i < bits.length; i++) {
    const a = bits[i] & 0x7fffffff;
    if (a > threshold || (a === threshold && left-- > 0)) {
      indices[j] = at[i];
      picked[j++] = values[i];
    }
  }
}

/** Into `out`: the candidates above `threshold`, and the first `ties` equal to it. */
function keepAbove(bits: Int32Array, candidates: Uint32Array, threshold: number, ties: number, out: Uint32Array): Uint32Array {
  let j = 0;
  let left = ties;
  for (let i = 0; i < candidates.length; i++) {
    const a = bits[candidates[i]] & 0x7fffffff;
    if (a > threshold) out[j++] = candidates[i];
    else if (a === threshold && left > 0) {
      out[j++] = candidates[i];
      left--;
    }
  }
  return out;
}
