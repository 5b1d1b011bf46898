// The graph degree k and the share threshold t of a SecAgg+ round, and the round's fixed settings.
//
// t = ⌊k/2⌋ + 1, a majority of each neighbourhood: fewer than half of a device's neighbours (or an edge
// that hears from fewer) learn nothing about its secrets, and no two disjoint sets of neighbours can each
// reach t, which is what keeps an edge from collecting both the mask-key shares and the self-mask shares
// of one device. k is the smallest even degree for which, when each device independently drops out with
// probability `dropoutRate`, the chance that any of the n devices keeps fewer than t neighbours (and the
// round aborts) is at most `failureProbability`: a binomial tail, so k grows like log n (Bell et al.,
// CCS 2020). With a third of the devices dropping and a 2^-20 failure chance that is the complete graph
// up to about 300 devices, and 312 neighbours at 1,000 devices, 350 at 10,000; at a 10% dropout rate
// 38 neighbours at 1,000 devices.

import { logAdd, logBinomial } from '../accountant/log-space.js';

export interface SecAggGraphOptions {
  /** The fraction of devices the round must survive losing. Default 1/3. */
  readonly dropoutRate?: number;
  /** The accepted chance that some device is left with too few neighbours. Default 2^-20. */
  readonly failureProbability?: number;
}

export interface SecAggParameters {
  readonly degree: number;
  readonly threshold: number;
}

/** log P[Binomial(k, p) < t] */
function logBinomialTailBelow(k: number, p: number, t: number): number {
  let log = -Infinity;
  for (let i = 0; i < t; i++) {
    log = logAdd(log, logBinomial(k, i) + i * Math.log(p) + (k - i) * Math.log1p(-p));
  }
  return log;
}

export const thresholdFor = (degree: number): number => Math.floor(degree / 2) + 1;

/** k and t for `parties` devices (see the file header). */
export function secAggParameters(parties: number, options: SecAggGraphOptions = {}): SecAggParameters {
  const { dropoutRate = 1 / 3, failureProbability = 2 ** -20 } = options;
  if (!(Number.isInteger(parties) && parties >= 3)) throw new RangeError(`secure aggregation needs at least 3 devices, got ${parties}`);
  if (!(dropoutRate >= 0 && dropoutRate < 0.5)) throw new RangeError(`dropoutRate must be in [0, 0.5), got ${dropoutRate}`);
  if (!(failureProbability > 0 && failureProbability < 1)) {
    throw new RangeError(`failureProbability must be in (0, 1), got ${failureProbability}`);
  }
  const complete = parties - 1;
  const logBudget = Math.log(failureProbability / parties);
  for (let k = 2; k < complete; k += 2) {
    if (logBinomialTailBelow(k, 1 - dropoutRate, thresholdFor(k)) <= logBudget) return { degree: k, threshold: thresholdFor(k) };
  }
  return { degree: complete, threshold: thresholdFor(complete) };
}
