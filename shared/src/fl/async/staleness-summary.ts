// A round's staleness in a run record: from the histogram of accepted updates by staleness τ (what edges
// count under an asynchronous schedule), the mean and the largest τ, and how many updates they cover.

export interface StalenessSummary {
  readonly updates: number;
  readonly mean: number;
  readonly max: number;
}

/** The summary of a histogram `{ "τ": count }`, or undefined when it holds no update (a synchronous round). */
export function stalenessSummary(histogram: Readonly<Record<string, number>> | undefined): StalenessSummary | undefined {
  if (!histogram) return undefined;
  let updates = 0;
  let sum = 0;
  let max = 0;
  for (const [tau, count] of Object.entries(histogram)) {
    const staleness = Number(tau);
    if (!(count > 0)) continue;
    updates += count;
    sum += staleness * count;
    max = Math.max(max, staleness);
  }
  return updates === 0 ? undefined : { updates, mean: sum / updates, max };
}
