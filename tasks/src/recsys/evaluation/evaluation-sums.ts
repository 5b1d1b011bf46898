// EvaluationSums arithmetic: devices (or subsets of users) report metric sums and a user count; tiers add
// them up and the top divides once, so the mean over users is the same however the users were grouped.

import type { EvaluationSums } from '@strata/shared';

export function emptyEvaluationSums(): EvaluationSums {
  return { count: 0, sums: {} };
}

/** The sum of several EvaluationSums (metric by metric; a metric missing from one counts as 0 there). */
export function addEvaluationSums(...parts: readonly EvaluationSums[]): EvaluationSums {
  const sums: Record<string, number> = {};
  let count = 0;
  for (const part of parts) {
    count += part.count;
    for (const [name, value] of Object.entries(part.sums)) sums[name] = (sums[name] ?? 0) + value;
  }
  return { count, sums };
}

/** Mean metrics: each sum divided by the count (an empty result when nothing was evaluated). */
export function metricsFromSums(total: EvaluationSums): Record<string, number> {
  const out: Record<string, number> = {};
  if (total.count === 0) return out;
  for (const [name, value] of Object.entries(total.sums)) out[name] = value / total.count;
  return out;
}
