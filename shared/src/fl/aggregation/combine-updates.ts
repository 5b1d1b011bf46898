// What every strategy's aggregate() shares: check and group the updates, combine each tensor with the
// strategy's rule, and sum weights and metrics so that a higher tier can weight the result in turn.

import type { ModelUpdate, TensorValue } from '../model.js';
import { groupTensors, type TensorGroup } from './tensor-groups.js';

/** How a strategy combines one tensor across the updates that contain it. */
export type TensorRule = (group: TensorGroup) => TensorValue;

/**
 * Combines `updates` tensor by tensor with `rule`. A tensor missing from an update counts as that update
 * holding none of its rows. The weight is the sum of the updates' weights, each metric the sum of its
 * values. Throws RangeError on an empty list, InvalidUpdateError on a bad weight or mismatched shapes.
 */
export function combineUpdates(updates: readonly ModelUpdate[], rule: TensorRule): ModelUpdate {
  const delta = new Map<string, TensorValue>();
  for (const group of groupTensors(updates)) delta.set(group.name, rule(group));
  let weight = 0;
  const metrics: Record<string, number> = {};
  for (const update of updates) {
    weight += update.weight;
    for (const [key, value] of Object.entries(update.metrics)) metrics[key] = (metrics[key] ?? 0) + value;
  }
  return { delta, weight, metrics };
}
