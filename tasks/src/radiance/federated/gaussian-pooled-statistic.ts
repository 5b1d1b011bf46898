// The densification statistic pooled over rounds at the cloud, as centralized training keeps it between two
// densifications: each round's combined statistic (per row, the mean screen-space gradient over the views
// that saw the row, with their count as the row weight) adds its sums here, and a densifying round reads the
// mean over every view since the last one. Needed when a round trains fewer images than the schedule's
// densification interval (short local schedules); with `combineChanges: 'serverAdam'` only.

import type { SparseRows } from '@strata/shared';

/** Per row, the pooled sum of gradient × views and the views behind it. */
export interface PooledStatisticState {
  readonly sums: Float32Array;
  readonly views: Float32Array;
}

export class PooledStatistic {
  private sums: Float32Array;
  private views: Float32Array;

  constructor(capacity: number) {
    this.sums = new Float32Array(capacity);
    this.views = new Float32Array(capacity);
  }

  /** Adds a round's combined statistic (per-row means, row weights the views behind them). */
  add(statistic: SparseRows): void {
    const weights = statistic.rowWeights;
    if (!weights) return;
    statistic.rows.forEach((row, k) => {
      this.sums[row] += statistic.values[k] * weights[k];
      this.views[row] += weights[k];
    });
  }

  /** The sums and views pooled so far (its own arrays: read, do not change). */
  get state(): PooledStatisticState {
    return { sums: this.sums, views: this.views };
  }

  /** Takes `state` (checked by the caller: capacity-sized arrays) as its own. */
  restore(state: PooledStatisticState): void {
    ({ sums: this.sums, views: this.views } = state);
  }

  /** Writes the pooled mean of every row (0 where no view saw it) into `out` and starts pooling anew. */
  takeInto(out: Float32Array): void {
    for (let row = 0; row < out.length; row++) out[row] = this.views[row] > 0 ? this.sums[row] / this.views[row] : 0;
    this.sums.fill(0);
    this.views.fill(0);
  }
}
