// Every number an edge sends is untrusted too. Before the cloud aggregates an edge's update (already decoded,
// finite and of the model's shapes) it checks the update's weights against the device answers the edge says
// it counted. An honest edge's weight is the mean over its iterations of its accepted devices' summed
// weights, each clipped to the task's maxDeviceWeight; a row's weight (a held-back zero row's too) is the sum
// over its iterations of each device's weight for the row, each at most the larger of maxDeviceWeight and the
// task's row cap at that weight. So neither can exceed (answers counted) × that most. A negative row or
// zero-row weight, which would amplify the other edges' changes in the cloud's per-row mean, is refused
// whatever the limits. The cloud cannot see the devices behind an edge: an edge that lies about how many
// answered is bounded by its own claim (and by the task's checkUpdate where the task knows its devices).

import { InvalidUpdateError } from '../errors.js';
import type { ModelUpdate } from '../fl/model.js';
import type { TaskLimits } from '../task/task-limits.js';

/** Float32 sums of many weights round up a little: a claim within this share over the bound passes. */
const SLACK = 1e-5;

/**
 * Throws InvalidUpdateError('bad_weight') naming the first weight of `update` (from an edge that says
 * `answered` device answers were behind it) that no honest edge could send under `limits` (absent: only
 * signs are checked).
 */
export function checkEdgeUpdate(update: ModelUpdate, answered: number, limits: TaskLimits | undefined): void {
  if (!(update.weight > 0)) throw new InvalidUpdateError('bad_weight', `edge update weight must be positive, got ${update.weight}`);
  const most = limits ? answered * limits.maxDeviceWeight * (1 + SLACK) : Number.POSITIVE_INFINITY;
  if (update.weight > most) {
    throw new InvalidUpdateError(
      'bad_weight',
      `edge update weight ${update.weight} is more than its ${answered} device answers can weigh (${answered} × ${limits!.maxDeviceWeight})`,
    );
  }
  const perAnswer = limits
    ? Math.max(limits.maxDeviceWeight, limits.maxRowWeight.base + limits.maxRowWeight.perWeight * limits.maxDeviceWeight)
    : Number.POSITIVE_INFINITY;
  const rowMost = answered * perAnswer * (1 + SLACK);
  for (const [name, value] of update.delta) {
    if (value.kind !== 'sparse') continue;
    if (value.rowWeights) checkRowWeights(name, value.rowWeights, value.rows, rowMost, answered, perAnswer, 'row');
    if (value.zeroRowWeights && value.zeroRows) {
      checkRowWeights(name, value.zeroRowWeights, value.zeroRows, rowMost, answered, perAnswer, 'zero row');
    }
  }
}

function checkRowWeights(
  name: string,
  weights: Float32Array,
  rows: Uint32Array,
  most: number,
  answered: number,
  perAnswer: number,
  what: 'row' | 'zero row',
): void {
  for (let k = 0; k < weights.length; k++) {
    const w = weights[k];
    if (w >= 0 && w <= most) continue;
    const why =
      w > most ? `more than its ${answered} device answers can weigh (${answered} × ${perAnswer})` : w < 0 ? 'negative' : 'not a number';
    throw new InvalidUpdateError('bad_weight', `edge tensor '${name}' has the ${what} weight ${w} for row ${rows[k]}: ${why}`);
  }
}
