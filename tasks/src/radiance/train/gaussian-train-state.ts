// What Gaussian training keeps per Gaussian besides its parameters: Adam's moments, the gradient buffer
// and the densification statistics, all in rows that grow (clone, split) and shrink (prune) together.

import { GAUSSIAN_STRIDE, GaussianCloud } from '../model/gaussian-cloud.js';

export class GaussianTrainState {
  count: number;
  params: Float32Array;
  adamM: Float32Array;
  adamV: Float32Array;
  grads: Float32Array;
  /** Sum over the views that saw each Gaussian of its screen-space position gradient norm (NDC). */
  viewGradSum: Float32Array;
  /** Views that saw each Gaussian since the last densification. */
  seen: Uint32Array;

  constructor(cloud: GaussianCloud) {
    this.count = cloud.count;
    const capacity = Math.max(16, cloud.count);
    this.params = new Float32Array(capacity * GAUSSIAN_STRIDE);
    this.params.set(cloud.params.subarray(0, cloud.count * GAUSSIAN_STRIDE));
    this.adamM = new Float32Array(capacity * GAUSSIAN_STRIDE);
    this.adamV = new Float32Array(capacity * GAUSSIAN_STRIDE);
    this.grads = new Float32Array(capacity * GAUSSIAN_STRIDE);
    this.viewGradSum = new Float32Array(capacity);
    this.seen = new Uint32Array(capacity);
  }

  get capacity(): number {
    return this.seen.length;
  }

  /** A cloud over the current parameters (shares memory until the next resize). */
  cloud(shDegree: number): GaussianCloud {
    return new GaussianCloud(this.count, this.params, shDegree);
  }

  private ensure(count: number): void {
    if (count <= this.capacity) return;
    const capacity = Math.max(count, Math.ceil(this.capacity * 1.5));
    const grow = <T extends Float32Array | Uint32Array>(old: T, width: number): T => {
      const next = new (old.constructor as new (n: number) => T)(capacity * width);
      next.set(old.subarray(0, this.count * width));
      return next;
    };
    this.params = grow(this.params, GAUSSIAN_STRIDE);
    this.adamM = grow(this.adamM, GAUSSIAN_STRIDE);
    this.adamV = grow(this.adamV, GAUSSIAN_STRIDE);
    this.grads = grow(this.grads, GAUSSIAN_STRIDE);
    this.viewGradSum = grow(this.viewGradSum, 1);
    this.seen = grow(this.seen, 1);
  }

  /** Appends a Gaussian with `row`'s parameters and fresh optimiser state; returns its index. */
  append(row: Float32Array): number {
    this.ensure(this.count + 1);
    const i = this.count++;
    const at = i * GAUSSIAN_STRIDE;
    this.params.set(row, at);
    this.adamM.fill(0, at, at + GAUSSIAN_STRIDE);
    this.adamV.fill(0, at, at + GAUSSIAN_STRIDE);
    this.grads.fill(0, at, at + GAUSSIAN_STRIDE);
    this.viewGradSum[i] = 0;
    this.seen[i] = 0;
    return i;
  }

  /** Keeps the Gaussians whose `keep` entry is set, in order; returns how many were removed. */
  compact(keep: Uint8Array): number {
    let out = 0;
    for (let i = 0; i < this.count; i++) {
      if (!keep[i]) continue;
      if (out !== i) {
        const from = i * GAUSSIAN_STRIDE,
          to = out * GAUSSIAN_STRIDE;
        this.params.copyWithin(to, from, from + GAUSSIAN_STRIDE);
        this.adamM.copyWithin(to, from, from + GAUSSIAN_STRIDE);
        this.adamV.copyWithin(to, from, from + GAUSSIAN_STRIDE);
        this.grads.copyWithin(to, from, from + GAUSSIAN_STRIDE);
        this.viewGradSum[out] = this.viewGradSum[i];
        this.seen[out] = this.seen[i];
      }
      out++;
    }
    const removed = this.count - out;
    this.count = out;
    return removed;
  }

  resetStatistics(): void {
    this.viewGradSum.fill(0);
    this.seen.fill(0);
  }
}
