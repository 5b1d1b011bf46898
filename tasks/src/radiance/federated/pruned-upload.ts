// Importance-pruned uploads of a radiance device (after VQRF, Li et al., CVPR 2023, which finds that a small
// share of the voxels carries nearly all of a grid's importance): a device sends only the points whose change
// since the model it received is largest and holds the rest back (error feedback held on the device, as in
// top-k sparsification, Stich et al. 2018). The device trains from the received model plus what it holds, so a
// held change is carried forward by training, not computed again and counted twice. A point's change is
// measured in learning-rate steps, density and colour each by its own rate, so neither unit outweighs the other.
// Optionally (device option heldAsZero) the points touched this round but held back go up as zero rows (a
// bitmask on the wire): the tiers count each as a zero change in the point's mean, so a sent point is averaged
// over every device that changed it, not only over those that sent it. Measured on the lego proxy it slows
// convergence (see docs/decisions.md), so it is off by default.

import { kthSmallestInPlace, type SparseRows } from '@strata/shared';

export interface PointDeltas {
  /** Points touched this round, strictly increasing; their change includes what was held for them. */
  readonly rows: Uint32Array;
  /** [rows, 1]: density change per point. */
  readonly density: Float32Array;
  /** [rows, channels]: colour change per point. */
  readonly color: Float32Array;
}

export interface PrunedUpload extends PointDeltas {
  /** For each sent point, whether it was touched this round (its moment upload needs a step behind it). */
  readonly touched: Uint8Array;
  /** The points touched this round and held back, strictly increasing (they count as zeros in the mean). */
  readonly heldTouched: Uint32Array;
}

export class PrunedUploadFeedback {
  /** Held-back change per point: [points × (1 + channels)], density first. */
  private readonly held: Float32Array;
  /** Whether a point has anything held back (so a round visits only those and the touched ones). */
  private readonly pending: Uint8Array;

  constructor(
    readonly points: number,
    readonly channels: number,
  ) {
    this.held = new Float32Array(points * (1 + channels));
    this.pending = new Uint8Array(points);
  }

  /**
   * The points to send: of the points touched this round (`deltas`, measured from the model received, so
   * including what was held for them) and those held from earlier rounds, the `share` of the touched points'
   * count with the largest change (at least one), measured as the squared sum of density change /
   * `densityStep` and colour change / `colorStep`. What is not sent is held for the next call.
   */
  select(deltas: PointDeltas, share: number, densityStep: number, colorStep: number): PrunedUpload {
    const width = 1 + this.channels;
    const held = this.held;
    const pending = this.pending;
    const touched = new Uint8Array(this.points);
    for (let i = 0; i < deltas.rows.length; i++) {
      const v = deltas.rows[i];
      touched[v] = 1;
      pending[v] = 1;
      held[v * width] = deltas.density[i];
      for (let c = 0; c < this.channels; c++) held[v * width + 1 + c] = deltas.color[i * this.channels + c];
    }
    const candidates: number[] = [];
    for (let v = 0; v < this.points; v++) if (pending[v]) candidates.push(v);
    const importance = new Float64Array(candidates.length);
    const d2 = 1 / (densityStep * densityStep);
    const c2 = 1 / (colorStep * colorStep);
    for (let i = 0; i < candidates.length; i++) {
      const at = candidates[i] * width;
      let colour = 0;
      for (let c = 1; c < width; c++) colour += held[at + c] * held[at + c];
      importance[i] = held[at] * held[at] * d2 + colour * c2;
    }
    const budget = Math.min(candidates.length, Math.max(1, Math.ceil(share * deltas.rows.length)));
    const threshold = budget >= candidates.length ? -1 : kthLargest(importance, budget);
    const rows: number[] = [];
    for (let i = 0; i < candidates.length && rows.length < budget; i++) if (importance[i] >= threshold) rows.push(candidates[i]);
    const sent = Uint32Array.from(rows);
    const density = new Float32Array(sent.length);
    const color = new Float32Array(sent.length * this.channels);
    const sentTouched = new Uint8Array(sent.length);
    for (let i = 0; i < sent.length; i++) {
      const v = sent[i];
      const at = v * width;
      density[i] = held[at];
      for (let c = 0; c < this.channels; c++) color[i * this.channels + c] = held[at + 1 + c];
      held.fill(0, at, at + width);
      pending[v] = 0;
      sentTouched[i] = touched[v];
    }
    const heldTouched = deltas.rows.filter((v) => pending[v] === 1);
    return { rows: sent, density, color, touched: sentTouched, heldTouched };
  }

  /** Adds what is held to `density` and `color` (a grid's arrays): the model as this device has moved it. */
  addHeldTo(density: Float32Array, color: Float32Array): void {
    const width = 1 + this.channels;
    const C = this.channels;
    for (let v = 0; v < this.points; v++) {
      if (!this.pending[v]) continue;
      density[v] += this.held[v * width];
      for (let c = 0; c < C; c++) color[v * C + c] += this.held[v * width + 1 + c];
    }
  }

  /** The change held back in total (squared norm), for tests and logs. */
  heldNorm(): number {
    let sum = 0;
    for (const x of this.held) sum += x * x;
    return sum;
  }
}

/** The k-th largest of `values` (1-based), by selection on a copy. */
function kthLargest(values: Float64Array, k: number): number {
  return kthSmallestInPlace(Float64Array.from(values), values.length - k);
}

/**
 * The sparse density and colour tensors of an upload, over a grid of `points`; with `heldAsZero`, the touched
 * points held back are their zero rows.
 */
export function uploadTensors(upload: PrunedUpload, points: number, channels: number, heldAsZero: boolean): [SparseRows, SparseRows] {
  const held = heldAsZero ? { zeroRows: upload.heldTouched } : {};
  return [
    { kind: 'sparse', shape: [points, 1], rows: upload.rows, values: upload.density, ...held },
    { kind: 'sparse', shape: [points, channels], rows: upload.rows, values: upload.color, ...held },
  ];
}
