// One user's training samples for SASRec: inputs are the history's most recent items but the last, the
// target at each position is the item that followed, and each position gets a sampled negative.

import type { SeededRandom } from '@strata/shared';
import type { NegativeSampler } from '../neumf/negative-sampler.js';

export interface SequenceSamples {
  readonly inputs: Int32Array;
  readonly targets: Int32Array;
}

/** The (input, next item) pairs of the last `maxLength` transitions of `history` (empty below 2 items). */
export function sequenceSamples(history: Int32Array, maxLength: number): SequenceSamples {
  const start = Math.max(0, history.length - 1 - maxLength);
  return { inputs: history.subarray(start, history.length - 1), targets: history.subarray(start + 1) };
}

/** Fills `out` (one entry per position) with items outside `user`'s training set. */
export function sampleNegatives(sampler: NegativeSampler, user: number, out: Int32Array, random: SeededRandom): Int32Array {
  for (let t = 0; t < out.length; t++) out[t] = sampler.sample(user, random);
  return out;
}
