// A learned colour codebook for the compact model file (after VQRF, Li et al., CVPR 2023): the kept points'
// colour vectors (their SH coefficients) are replaced by the index of the nearest of K code vectors, fitted by
// weighted k-means. A point's weight is how much it can show (its alpha): a faint point's colour error is
// hidden by its transparency, an opaque one's is on screen. Lloyd's iterations run on a weighted sample of the
// points (a lego grid keeps ~10^5-10^6 points; K code vectors of 12 values against every point each
// iteration would take minutes in JavaScript), seeded by k-means++, then every point is assigned once to its
// nearest code vector.

import { ConfigError, SeededRandom } from '@strata/shared';

export interface CodebookOptions {
  /** Code vectors (at most 65536: an index is a uint16). */
  readonly size: number;
  /** Lloyd iterations on the sample. */
  readonly iterations: number;
  /** Points drawn (by weight, with replacement) to fit on. */
  readonly sample: number;
  readonly seed: number;
  /** Called after each stage: the seeding, each iteration and the final assignment (`iterations + 2` in all). */
  readonly onProgress?: (done: number, total: number) => void;
}

export const DEFAULT_CODEBOOK_OPTIONS: Omit<CodebookOptions, 'size'> = { iterations: 12, sample: 65_536, seed: 1 };

export interface ColourCodebook {
  /** `size` × `width` code vectors. */
  readonly codes: Float32Array;
  /** Each vector's code (an index into `codes`). */
  readonly indices: Uint16Array;
}

/** Fits a codebook of `options.size` codes to `vectors` (`width` values each) under `weights`, and assigns them. */
export function fitColourCodebook(vectors: Float32Array, width: number, weights: Float32Array, options: CodebookOptions): ColourCodebook {
  const n = weights.length;
  if (vectors.length !== n * width) throw new ConfigError(`codebook: ${vectors.length} values for ${n} vectors of ${width}`);
  if (!(Number.isInteger(options.size) && options.size >= 1 && options.size <= 65_536)) {
    throw new ConfigError(`codebook size ${options.size} must be an integer in [1, 65536]`);
  }
  const random = new SeededRandom(options.seed);
  const sample = n === 0 ? new Float32Array(0) : weightedSample(vectors, width, weights, Math.max(options.sample, options.size), random);
  const m = sample.length / width;
  const size = Math.min(options.size, Math.max(1, m));
  const stages = options.iterations + 2;
  const codes = seedCodes(sample, width, size, random);
  options.onProgress?.(1, stages);
  const assigned = new Uint16Array(m);
  const sums = new Float64Array(size * width);
  const counts = new Uint32Array(size);
  for (let it = 0; it < options.iterations && m > 0; it++) {
    assignNearest(sample, width, codes, assigned);
    sums.fill(0);
    counts.fill(0);
    for (let i = 0; i < m; i++) {
      const c = assigned[i];
      counts[c]++;
      for (let j = 0; j < width; j++) sums[c * width + j] += sample[i * width + j];
    }
    // An empty code keeps its vector: it may still be the nearest to some point outside the sample.
    for (let c = 0; c < size; c++)
      if (counts[c] > 0) for (let j = 0; j < width; j++) codes[c * width + j] = sums[c * width + j] / counts[c];
    options.onProgress?.(2 + it, stages);
  }
  const indices = new Uint16Array(n);
  assignNearest(vectors, width, codes, indices);
  options.onProgress?.(stages, stages);
  return { codes, indices };
}

/**
 * k-means++ seeding (Arthur and Vassilvitskii, 2007): each code a sample vector drawn with probability
 * proportional to its squared distance from the codes so far, so the codes start spread over the clusters
 * (random seeds leave two codes in one cluster and one code between two, a local optimum Lloyd's steps keep).
 */
function seedCodes(sample: Float32Array, width: number, size: number, random: SeededRandom): Float32Array {
  const m = sample.length / width;
  const codes = new Float32Array(size * width);
  if (m === 0) return codes;
  const nearest = new Float64Array(m).fill(Number.POSITIVE_INFINITY);
  let pick = random.int(m);
  for (let c = 0; c < size; c++) {
    codes.set(sample.subarray(pick * width, (pick + 1) * width), c * width);
    let total = 0;
    for (let i = 0; i < m; i++) {
      let d = 0;
      for (let j = 0; j < width; j++) {
        const e = sample[i * width + j] - codes[c * width + j];
        d += e * e;
      }
      if (d < nearest[i]) nearest[i] = d;
      total += nearest[i];
    }
    if (!(total > 0)) {
      pick = random.int(m);
      continue;
    }
    let target = random.next() * total;
    pick = m - 1;
    for (let i = 0; i < m; i++) {
      target -= nearest[i];
      if (target < 0) {
        pick = i;
        break;
      }
    }
  }
  return codes;
}

/** `count` vectors drawn with replacement, each with probability proportional to its weight (uniform when all weigh 0). */
function weightedSample(vectors: Float32Array, width: number, weights: Float32Array, count: number, random: SeededRandom): Float32Array {
  const n = weights.length;
  const cumulative = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    if (weights[i] > 0) total += weights[i];
    cumulative[i] = total;
  }
  const out = new Float32Array(count * width);
  for (let s = 0; s < count; s++) {
    let i: number;
    if (total > 0) {
      const target = random.next() * total;
      let lo = 0;
      let hi = n - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cumulative[mid] > target) hi = mid;
        else lo = mid + 1;
      }
      i = lo;
    } else i = random.int(n);
    out.set(vectors.subarray(i * width, (i + 1) * width), s * width);
  }
  return out;
}

/** Writes each vector's nearest code (squared distance, the lower index on a tie) into `out`. */
function assignNearest(vectors: Float32Array, width: number, codes: Float32Array, out: Uint16Array): void {
  const size = codes.length / width;
  const codeNorms = new Float64Array(size);
  for (let c = 0; c < size; c++) {
    let s = 0;
    for (let j = 0; j < width; j++) s += codes[c * width + j] * codes[c * width + j];
    codeNorms[c] = s;
  }
  // |x - c|² = |x|² - 2 x·c + |c|²: |x|² is the same for every code, so the nearest minimises |c|² - 2 x·c.
  const x = new Float64Array(width);
  for (let i = 0; i < out.length; i++) {
    for (let j = 0; j < width; j++) x[j] = vectors[i * width + j];
    let best = 0;
    let bestScore = Number.POSITIVE_INFINITY;
    for (let c = 0; c < size; c++) {
      let dot = 0;
      const at = c * width;
      for (let j = 0; j < width; j++) dot += x[j] * codes[at + j];
      const score = codeNorms[c] - 2 * dot;
      if (score < bestScore) {
        bestScore = score;
        best = c;
      }
    }
    out[i] = best;
  }
}
