// How an edge aggregates its devices' updates in time: synchronous rounds (HierFAVG's κ2 iterations, each
// closed by a quorum or a deadline), FedBuff (Nguyen et al., AISTATS 2022: every device trains on whatever
// model is current when it is free, the edge takes a server step every `bufferSize` updates, each update
// scaled by its staleness weight) or FedAsync (Xie et al. 2019: every update is mixed in as it arrives, scaled
// by `mixing` × its staleness weight). An update's staleness τ is how many model versions the edge made after
// the one the device trained from; past `maxStaleness` it is refused with the counted reason `too_stale`.

import { z } from 'zod';

export const AGGREGATION_MODES = ['sync', 'fedbuff', 'fedasync'] as const;
export type AggregationMode = (typeof AGGREGATION_MODES)[number];

export const asyncScheduleSchema = z
  .object({
    /** sync: κ2 quorum-closed iterations per cloud round; fedbuff / fedasync: devices train asynchronously. */
    mode: z.enum(AGGREGATION_MODES).default('sync'),
    /** FedBuff's K: accepted updates per server step; an async edge round runs κ2 × bufferSize updates. */
    bufferSize: z.number().int().min(1).default(10),
    /** Updates based on a model more than this many versions old are refused (counted as too_stale). */
    maxStaleness: z.number().int().min(0).default(20),
    /** a in the staleness weight s(τ) = (1 + τ)^−a (0.5: FedBuff's 1/√(1+τ); 0: no down-weighting). */
    stalenessExponent: z.number().min(0).max(4).default(0.5),
    /** FedAsync's α: each update moves the model by α × s(τ) × its delta. */
    mixing: z.number().gt(0).max(1).default(0.5),
  })
  .strict();

export type AsyncSchedule = z.output<typeof asyncScheduleSchema>;

/** The staleness weight s(τ) = (1 + τ)^−exponent of an update τ versions old. */
export function stalenessWeight(staleness: number, exponent: number): number {
  if (!(Number.isInteger(staleness) && staleness >= 0)) throw new RangeError(`staleness must be a non-negative integer, got ${staleness}`);
  return (1 + staleness) ** -exponent;
}

/** Strategies that aggregate a set of updates robustly: they need a buffer, so they cannot mix one update at a time. */
const SET_STRATEGIES = new Set(['median', 'trimmed-mean', 'krum']);
/** Strategies whose step is the plain (weighted) mean, which is what FedAsync's mixing scales. */
const MIXING_STRATEGIES = new Set(['fedavg', 'fedprox']);

/** Which tier aggregates asynchronously: an edge toward its devices (`--schedule`), or the cloud toward its edges (`--cloud-schedule`). */
export type AsyncTier = 'edge' | 'cloud';

/**
 * Why an asynchronous schedule cannot run with this strategy (the tier's: the edge strategy for `edge`, the
 * cloud strategy for `cloud`) and privacy, or undefined when it can. FedAsync mixes each update as it
 * arrives: a robust strategy needs a set of updates to compare (use FedBuff), and a server optimizer would
 * take a step per update. Central DP accounts for one sampled round per release.
 */
export function asyncConflict(mode: AggregationMode, strategy: string, privacyMode: string, tier: AsyncTier = 'edge'): string | undefined {
  if (mode === 'sync') return undefined;
  const flag = tier === 'edge' ? '--schedule' : '--cloud-schedule';
  const sender = tier === 'edge' ? 'device' : 'edge';
  const which = tier === 'edge' ? 'edge strategy' : 'strategy';
  if (privacyMode !== 'off') {
    return `${flag} ${mode} cannot run with differential privacy (its accounting assumes synchronous sampled rounds): use ${flag} sync`;
  }
  if (mode === 'fedasync' && SET_STRATEGIES.has(strategy)) {
    return `${flag} fedasync mixes each ${sender} update in as it arrives, so the ${which} ${strategy} has no set of updates to compare: use ${flag} fedbuff (it aggregates each buffer with ${strategy})`;
  }
  if (mode === 'fedasync' && !MIXING_STRATEGIES.has(strategy)) {
    return `${flag} fedasync scales each update by its mixing rate: the ${which} must be fedavg or fedprox, not ${strategy} (a server optimizer per update: use ${flag} fedbuff)`;
  }
  return undefined;
}

/** The schedule in a few words, for a run's banner: `sync`, `fedbuff K=10 τ≤20 s=(1+τ)^-0.5`, `fedasync α=0.5 ...`. */
export function asyncScheduleLabel(schedule: AsyncSchedule): string {
  if (schedule.mode === 'sync') return 'sync';
  const common = `τ≤${schedule.maxStaleness} s=(1+τ)^-${schedule.stalenessExponent}`;
  return schedule.mode === 'fedbuff' ? `fedbuff K=${schedule.bufferSize} ${common}` : `fedasync α=${schedule.mixing} ${common}`;
}
