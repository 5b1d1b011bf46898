// Item-set padding for federated BPR-MF (pseudo items, as in FedGNN, Wu et al. 2021, and FedRec's
// "hybrid filling", Lin et al. 2020): a device adds k rows for items it never touched, so the row ids of
// its upload no longer list the items it trained on. A pseudo row's delta is the BPR step the round's
// hyper-parameters give item j as the negative of a triple (user, random positive, j), computed from the
// global rows and the user's embedding as it was before a random step of local training (as a real sampled
// negative meets it: one embedding for every pseudo row would make them exactly parallel, easy to single
// out), so it has the size and shape of a real once-touched negative row and weight 1 like one. 'zero-mean' multiplies it by a fair random sign: its
// expectation is exactly zero and half the pseudo rows point like positives, which hides the positives
// among them in the values too. 'negative-gradient' sends it as is: a real extra negative sample of the
// BPR objective (no noise, but all pseudo rows point away from the user, like the negatives).

import { CryptoRandom, type SeededRandom } from '@strata/shared';
import { allocateRowState, BprKernel, type BprHyperparameters, type BprOptimizer } from './bpr-kernel.js';

export const PAD_DELTAS = ['zero-mean', 'negative-gradient'] as const;
export type PadDelta = (typeof PAD_DELTAS)[number];
export const PAD_RANDOMS = ['crypto', 'seed'] as const;
export type PadRandom = (typeof PAD_RANDOMS)[number];

/** Uniform integers in [0, n): SeededRandom has it; a CryptoRandom is adapted. */
export interface UniformIntegers {
  int(n: number): number;
}

/**
 * Where a device draws its pseudo items and signs: a ChaCha20 stream keyed from the platform's entropy
 * ('crypto'; the run's seed is known to the coordinator and edges, which could replay a seeded choice), or
 * `seeded` ('seed': reproducible runs, for measuring the padding's cost, protects nothing).
 */
export function paddingRandom(kind: PadRandom, seeded: SeededRandom): UniformIntegers {
  if (kind === 'seed') return seeded;
  const stream = CryptoRandom.fromEntropy();
  return { int: (n) => Math.floor(stream.nextDouble() * n) };
}

/**
 * `count` distinct items, uniformly among those `isTouched` rejects (all of them when there are fewer),
 * by a partial Fisher–Yates shuffle of the untouched items.
 */
export function choosePseudoItems(
  numItems: number,
  isTouched: (item: number) => boolean,
  count: number,
  random: UniformIntegers,
): Int32Array {
  const untouched: number[] = [];
  for (let item = 0; item < numItems; item++) if (!isTouched(item)) untouched.push(item);
  const n = Math.min(count, untouched.length);
  for (let k = 0; k < n; k++) {
    const pick = k + random.int(untouched.length - k);
    [untouched[k], untouched[pick]] = [untouched[pick], untouched[k]];
  }
  return Int32Array.from(untouched.slice(0, n));
}

export interface PseudoItemRows {
  readonly items: Int32Array;
  /** [items.length, dim] deltas of the item rows. */
  readonly values: Float32Array;
  /** [items.length] deltas of the item biases, or null for a model without them. */
  readonly biasValues: Float32Array | null;
}

/**
 * The pseudo rows for `items`: each one's negative BPR step against a positive drawn from `positives`, from
 * the global `table` (and `bias`) and one of `userSnapshots` ([steps, dim]: the user's embedding before each
 * local step) drawn at random, none of which is changed; signed at random for 'zero-mean'.
 */
export function pseudoItemRows(
  items: Int32Array,
  positives: Int32Array,
  userSnapshots: Float32Array,
  table: Float32Array,
  bias: Float32Array | null,
  hyper: BprHyperparameters & { readonly dim: number },
  mode: PadDelta,
  random: UniformIntegers,
): PseudoItemRows {
  const d = hyper.dim;
  const steps = userSnapshots.length / d;
  const users = new Float32Array(d);
  const scratch = new Float32Array(2 * d);
  const scratchBias = bias === null ? null : new Float32Array(2);
  // Fresh optimizer state per triple, as a row a device touches for the first time in a round has.
  const fresh = (optimizer: BprOptimizer, rows: number): Float32Array | null => allocateRowState(optimizer, rows);
  const values = new Float32Array(items.length * d);
  const biasValues = bias === null ? null : new Float32Array(items.length);
  for (let k = 0; k < items.length; k++) {
    const i = positives[random.int(positives.length)];
    const j = items[k];
    const s = random.int(steps);
    users.set(userSnapshots.subarray(s * d, s * d + d));
    scratch.set(table.subarray(i * d, i * d + d), 0);
    scratch.set(table.subarray(j * d, j * d + d), d);
    if (scratchBias !== null && bias !== null) {
      scratchBias[0] = bias[i];
      scratchBias[1] = bias[j];
    }
    const kernel = new BprKernel(
      {
        dim: d,
        users,
        items: scratch,
        itemBias: scratchBias,
        userState: fresh(hyper.userOptimizer, 1),
        itemState: fresh(hyper.itemOptimizer, 2),
        biasState: scratchBias === null ? null : fresh(hyper.itemOptimizer, 2),
      },
      hyper,
    );
    kernel.step(0, 0, 1);
    const sign = mode === 'zero-mean' && random.int(2) === 0 ? -1 : 1;
    for (let c = 0; c < d; c++) values[k * d + c] = sign * (scratch[d + c] - table[j * d + c]);
    if (biasValues !== null && scratchBias !== null && bias !== null) biasValues[k] = sign * (scratchBias[1] - bias[j]);
  }
  return { items, values, biasValues };
}
