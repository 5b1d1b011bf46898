// Every number a device sends is untrusted. Before an answer counts, the edge checks it against what the
// server knows: the request it answers (round, model version), the identity its link authenticated (the
// sender), and the task's limits (weights, row weights, evaluation counts and metric ranges, which the
// coordinator sends with every job). What cannot be true is refused with a counted reason; a weight above
// what the device can truthfully claim is clipped to it, and counted too.

import { InvalidUpdateError } from '../errors.js';
import type { ModelParams, ModelUpdate, TensorValue } from '../fl/model.js';
import type { EvaluationSums } from '../task/federated-task.js';
import type { TaskLimits } from '../task/task-limits.js';
import type { DecodedUpdate } from '../wire/update-codec.js';
import { validateUpdate } from './round-messages.js';

export interface ExpectedAnswer {
  readonly roundId: string;
  readonly baseVersion: number;
  /** The node id the device's link authenticated: the answer must say it is from it. */
  readonly sender: string;
  readonly limits?: TaskLimits;
}

/** What was clipped in an accepted answer: the weight, and how many row weights. */
export interface Clipped {
  readonly weight: boolean;
  readonly rowWeights: number;
}

/** Throws InvalidUpdateError('stale' or 'sender') unless the answer is to this request, from this device. */
function checkHeader(decoded: DecodedUpdate & { sender: string }, expected: ExpectedAnswer): void {
  if (decoded.sender !== expected.sender) {
    throw new InvalidUpdateError('sender', `answer says it is from ${JSON.stringify(decoded.sender)}, the link is ${expected.sender}`);
  }
  if (decoded.roundId !== expected.roundId || decoded.baseVersion !== expected.baseVersion) {
    throw new InvalidUpdateError(
      'stale',
      `answer is to round ${JSON.stringify(decoded.roundId)} at version ${decoded.baseVersion}, ` +
        `the request was round ${JSON.stringify(expected.roundId)} at version ${expected.baseVersion}`,
    );
  }
}

/**
 * Checks a training answer against its request, its sender's identity, the model and the task's limits.
 * Returns the update to aggregate, its weight and row weights clipped to what the device can truthfully
 * claim (the loss and other metric sums scaled with the weight), and what was clipped. Throws
 * InvalidUpdateError (stale, sender, bad_weight, non_finite, shape, unknown_tensor).
 */
export function checkTrainingAnswer(
  decoded: DecodedUpdate & { sender: string },
  expected: ExpectedAnswer,
  model: ModelParams,
): { update: ModelUpdate; clipped: Clipped } {
  checkHeader(decoded, expected);
  const { update } = decoded;
  validateUpdate(update, model);
  if (!(update.weight > 0)) throw new InvalidUpdateError('bad_weight', `update weight must be positive, got ${update.weight}`);
  const cap = expected.limits?.maxDeviceWeight ?? Number.POSITIVE_INFINITY;
  const weight = Math.min(update.weight, cap);
  const rowCap = expected.limits
    ? expected.limits.maxRowWeight.base + expected.limits.maxRowWeight.perWeight * weight
    : Number.POSITIVE_INFINITY;
  let rowWeightsClipped = 0;
  const delta = new Map<string, TensorValue>();
  for (const [name, value] of update.delta) {
    if (value.kind !== 'sparse' || !value.rowWeights) {
      delta.set(name, value);
      continue;
    }
    const rowWeights = clipRowWeights(name, value.rowWeights, value.rows, rowCap, 'row');
    const zeroRowWeights =
      value.zeroRows && value.zeroRowWeights ? clipRowWeights(name, value.zeroRowWeights, value.zeroRows, rowCap, 'zero row') : undefined;
    rowWeightsClipped += rowWeights.clipped + (zeroRowWeights?.clipped ?? 0);
    const changed = rowWeights.clipped > 0 || (zeroRowWeights?.clipped ?? 0) > 0;
    delta.set(
      name,
      changed ? { ...value, rowWeights: rowWeights.weights, ...(zeroRowWeights ? { zeroRowWeights: zeroRowWeights.weights } : {}) } : value,
    );
  }
  const scale = weight / update.weight;
  const metrics = scale === 1 ? update.metrics : Object.fromEntries(Object.entries(update.metrics).map(([k, v]) => [k, v * scale]));
  return {
    update: { delta, weight, metrics },
    clipped: { weight: weight < update.weight, rowWeights: rowWeightsClipped },
  };
}

/**
 * `weights` (of `rows`) with each above `cap` clipped to it (a copy when any is), and how many were; throws
 * InvalidUpdateError('bad_weight') on a negative one.
 */
function clipRowWeights(
  name: string,
  weights: Float32Array,
  rows: Uint32Array,
  cap: number,
  what: 'row' | 'zero row',
): { weights: Float32Array; clipped: number } {
  let out = weights;
  let clipped = 0;
  for (let r = 0; r < weights.length; r++) {
    const w = weights[r];
    if (!(w >= 0)) throw new InvalidUpdateError('bad_weight', `tensor '${name}' has the negative ${what} weight ${w} for row ${rows[r]}`);
    if (w <= cap) continue;
    if (out === weights) out = weights.slice();
    out[r] = cap;
    clipped++;
  }
  return { weights: out, clipped };
}

/**
 * Checks an evaluation answer: its header, a count in [0, the task's most per device], and every metric sum
 * finite and, where the task gives the metric's range, within it times the count (a metric the task does
 * not name is refused then). Throws InvalidUpdateError (stale, sender, bad_metrics).
 */
export function checkEvaluationAnswer(decoded: DecodedUpdate & { sender: string }, expected: ExpectedAnswer): EvaluationSums {
  checkHeader(decoded, expected);
  const { weight: count, metrics } = decoded.update;
  const most = expected.limits?.maxEvaluationCount ?? Number.POSITIVE_INFINITY;
  if (!(count >= 0 && count <= most)) {
    throw new InvalidUpdateError('bad_metrics', `evaluation count must be in [0, ${most}], got ${count}`);
  }
  const ranges = expected.limits?.metricRanges;
  for (const [name, sum] of Object.entries(metrics)) {
    if (!Number.isFinite(sum)) throw new InvalidUpdateError('bad_metrics', `metric ${name} sum is ${sum}`);
    if (!ranges) continue;
    const range = ranges[name];
    if (!range) throw new InvalidUpdateError('bad_metrics', `metric ${name} is not one the task evaluates`);
    const [low, high] = range;
    const slack = 1e-6 * Math.max(1, count);
    if (sum < low * count - slack || sum > high * count + slack) {
      throw new InvalidUpdateError('bad_metrics', `metric ${name} sums to ${sum} over ${count}, outside [${low}, ${high}] each`);
    }
  }
  return { count, sums: { ...metrics } };
}
