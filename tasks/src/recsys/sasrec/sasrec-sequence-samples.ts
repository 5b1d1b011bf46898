// One user's training samples for SASRec: windows of at most maxLength transitions of the history, each input
// item followed by its target (the next item), and each position gets a sampled negative. The paper trains
// on the latest window only; 'all' cuts the whole history into windows, the latest first, so every
// transition is trained on once an epoch.

import type { SeededRandom } from '@strata/shared';
import type { NegativeSampler } from '../neumf/negative-sampler.js';

export interface SequenceSamples {
  readonly inputs: Int32Array;
  readonly targets: Int32Array;
}

export type SequenceWindows = 'latest' | 'all';

/** The windows of (input, next item) pairs of `history`, the latest first (none below 2 items). */
export function sequenceWindows(history: Int32Array, maxLength: number, windows: SequenceWindows): SequenceSamples[] {
  const out: SequenceSamples[] = [];
  for (let end = history.length - 1; end > 0 && (windows === 'all' || out.length === 0); end -= maxLength) {
    const start = Math.max(0, end - maxLength);
    out.push({ inputs: history.subarray(start, end), targets: history.subarray(start + 1, end + 1) });
  }
  return out;
}

/** Fills `out` (one entry per position) with items outside `user`'s training set. */
export function sampleNegatives(sampler: NegativeSampler, user: number, out: Int32Array, random: SeededRandom): Int32Array {
  for (let t = 0; t < out.length; t++) out[t] = sampler.sample(user, random);
  return out;
}
