// A run is done only when its final evaluation measured something: an empty result means no device or edge
// answered it, and reporting that run as finished would hide the failure.

import { StrataError } from '../errors.js';

/** Throws STRATA_ERR_NO_METRICS when the final evaluation of round `round` has no metric. */
export function requireFinalMetrics(metrics: Readonly<Record<string, number>>, round: number): void {
  if (Object.keys(metrics).length > 0) return;
  throw new StrataError(
    'STRATA_ERR_NO_METRICS',
    `the final evaluation (round ${round}) produced no metrics: no device or edge answered it, so the run is not reported as done`,
  );
}
