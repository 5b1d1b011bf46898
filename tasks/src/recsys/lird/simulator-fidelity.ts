// How well the user simulator predicts ratings it never saw: each held-out rating is predicted from the state
// the user was in when they gave it (their positive logged ratings before it), beside two plain predictors
// (the user's mean logged rating, the global mean) that put the figures in context.

import { norm, pushRecent, type ItemSpace } from './item-space.js';
import type { MemorySimulator } from './memory-simulator.js';
import type { RatingHistories } from './rating-histories.js';

export interface SimulatorFidelity {
  /** Held-out ratings predicted. */
  readonly count: number;
  /** Root mean squared error of the simulated (expected) rating. */
  readonly rmse: number;
  /** Share of held-out ratings the simulated rating rounds to. */
  readonly accuracy: number;
  /** Share of held-out ratings whose positive / not positive the simulator gets right. */
  readonly positiveAccuracy: number;
  /** RMSE of predicting each user's mean logged rating, and the global mean. */
  readonly userMeanRmse: number;
  readonly globalMeanRmse: number;
}

export function simulatorFidelity(
  histories: RatingHistories,
  simulators: readonly MemorySimulator[],
  space: ItemSpace,
  stateItems: number,
  positiveRating: number,
): SimulatorFidelity {
  let loggedSum = 0;
  let loggedCount = 0;
  for (const simulator of simulators) {
    for (const r of simulator.ratings) loggedSum += r;
    loggedCount += simulator.size;
  }
  const globalMean = loggedSum / Math.max(1, loggedCount);
  let count = 0;
  let squared = 0;
  let exact = 0;
  let sign = 0;
  let userSquared = 0;
  let globalSquared = 0;
  const recent = new Int32Array(stateItems);
  const vector = new Float32Array(stateItems * space.dim);
  histories.users.forEach((history, u) => {
    const simulator = simulators[u];
    if (simulator.size === 0) return;
    const userMean = simulator.ratings.reduce((a, r) => a + r, 0) / simulator.size;
    recent.fill(-1);
    for (let k = 0; k < history.items.length; k++) {
      const rating = history.ratings[k];
      if (history.heldOut[k] === 0) {
        if (rating >= positiveRating) pushRecent(recent, history.items[k]);
        continue;
      }
      space.stateVector(recent, vector);
      const predicted = simulator.rate({ vector, norm: norm(vector) }, history.items[k]);
      count++;
      squared += (predicted - rating) ** 2;
      if (Math.round(predicted) === rating) exact++;
      if (simulator.isPositive(predicted) === rating >= positiveRating) sign++;
      userSquared += (userMean - rating) ** 2;
      globalSquared += (globalMean - rating) ** 2;
    }
  });
  const per = (v: number): number => v / Math.max(1, count);
  return {
    count,
    rmse: Math.sqrt(per(squared)),
    accuracy: per(exact),
    positiveAccuracy: per(sign),
    userMeanRmse: Math.sqrt(per(userSquared)),
    globalMeanRmse: Math.sqrt(per(globalSquared)),
  };
}
