// A lazy (sparse) Adam for the voxel grids: only grid points that a batch touched are regularised and
// updated, so a step costs what the batch saw, not the grid size. The colour coefficients of a point share
// one second-moment estimate (the mean of their squared gradients, as Adafactor factors it): they are
// gradients of one interpolation with bases of similar scale, and sharing saves a square root and a
// memory stream per coefficient in what is otherwise the most expensive loop of a training step. Work is split by x-slabs of the grid, so
// worker threads can each own a slab range; the two phases (reduce, update) are separated by a barrier so
// every read of a neighbour's parameters sees the same values whatever the thread count.

import type { VoxelGrid } from '../model/voxel-grid.js';
import type { GradientBuffers } from '../kernels/gradient-buffers.js';

export interface AdamState {
  readonly mDensity: Float32Array;
  readonly vDensity: Float32Array;
  readonly mSh: Float32Array;
  /** One per point: the second moment shared by its colour coefficients. */
  readonly vSh: Float32Array;
}

export interface AdamHyper {
  /** 1-based step count, shared by all points (bias correction as in TF's LazyAdam). */
  readonly step: number;
  readonly lrDensity: number;
  readonly lrColor: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
}

export function createAdamState(points: number, channels: number, shared = false): AdamState {
  const floats = (n: number): Float32Array =>
    shared ? new Float32Array(new SharedArrayBuffer(n * 4)) : new Float32Array(n);
  return { mDensity: floats(points), vDensity: floats(points), mSh: floats(points * channels), vSh: floats(points) };
}

export class SparseAdam {
  constructor(
    private readonly grid: VoxelGrid,
    private readonly state: AdamState,
    /** One buffer per thread; buffer 0 receives the merged gradient. */
    private readonly grads: readonly GradientBuffers[],
    /** Points updated since it was last cleared (a device's upload set); null when not tracked. */
    private readonly everTouched: Uint8Array | null = null,
  ) {}

  /**
   * Phase 1 for x-slabs [i0, i1): merges every thread's gradient into buffer 0 and adds the gradient of
   * total variation at the touched points (tv * sum over the 6 neighbours of (p - p_n)).
   */
  reduce(i0: number, i1: number, tvDensity: number, tvColor: number): void {
    const [nx, ny, nz] = this.grid.geometry.dims;
    const C = this.grid.channels;
    const g0 = this.grads[0];
    const density = this.grid.density, sh = this.grid.sh;
    const sx = ny * nz;
    for (let i = i0; i < i1; i++) {
      const start = i * sx, end = start + sx;
      for (let t = 1; t < this.grads.length; t++) {
        const gt = this.grads[t];
        for (let v = start; v < end; v++) {
          if (gt.touched[v] === 0) continue;
          gt.touched[v] = 0;
          g0.touched[v] = 1;
          g0.density[v] += gt.density[v];
          gt.density[v] = 0;
          const b = v * C;
          for (let c = 0; c < C; c++) {
            g0.sh[b + c] += gt.sh[b + c];
            gt.sh[b + c] = 0;
          }
          if (g0.visibility !== null && gt.visibility !== null) {
            g0.visibility[v] += gt.visibility[v];
            gt.visibility[v] = 0;
          }
        }
      }
      if (tvDensity === 0 && tvColor === 0) continue;
      for (let j = 0; j < ny; j++) {
        for (let k = 0; k < nz; k++) {
          const v = start + j * nz + k;
          if (g0.touched[v] === 0) continue;
          // The neighbours that exist, as index offsets.
          const dv0 = i > 0 ? -sx : 0, dv1 = i < nx - 1 ? sx : 0;
          const dv2 = j > 0 ? -nz : 0, dv3 = j < ny - 1 ? nz : 0;
          const dv4 = k > 0 ? -1 : 0, dv5 = k < nz - 1 ? 1 : 0;
          if (tvDensity !== 0) {
            const p = density[v];
            g0.density[v] += tvDensity * (
              (p - density[v + dv0]) + (p - density[v + dv1]) + (p - density[v + dv2]) +
              (p - density[v + dv3]) + (p - density[v + dv4]) + (p - density[v + dv5]));
          }
          if (tvColor !== 0) {
            const b = v * C;
            const n0 = b + dv0 * C, n1 = b + dv1 * C, n2 = b + dv2 * C, n3 = b + dv3 * C, n4 = b + dv4 * C, n5 = b + dv5 * C;
            for (let c = 0; c < C; c++) {
              const p = sh[b + c];
              g0.sh[b + c] += tvColor * (
                6 * p - sh[n0 + c] - sh[n1 + c] - sh[n2 + c] - sh[n3 + c] - sh[n4 + c] - sh[n5 + c]);
            }
          }
        }
      }
    }
  }

  /** Phase 2 for x-slabs [i0, i1): the Adam step on touched points; clears their gradients and flags. */
  update(i0: number, i1: number, h: AdamHyper): void {
    const [, ny, nz] = this.grid.geometry.dims;
    const C = this.grid.channels;
    const g0 = this.grads[0];
    const { mDensity, vDensity, mSh, vSh } = this.state;
    const density = this.grid.density, sh = this.grid.sh;
    const touched = g0.touched, gd = g0.density, gs = g0.sh, ever = this.everTouched;
    const b1 = h.beta1, b2 = h.beta2, eps = h.epsilon;
    const correction = Math.sqrt(1 - Math.pow(b2, h.step)) / (1 - Math.pow(b1, h.step));
    const lrD = h.lrDensity * correction, lrC = h.lrColor * correction;
    const end = i1 * ny * nz;
    for (let v = i0 * ny * nz; v < end; v++) {
      if (touched[v] === 0) continue;
      touched[v] = 0;
      if (ever !== null) ever[v] = 1;
      const g = gd[v];
      gd[v] = 0;
      const m = b1 * mDensity[v] + (1 - b1) * g;
      const s = b2 * vDensity[v] + (1 - b2) * g * g;
      mDensity[v] = m;
      vDensity[v] = s;
      density[v] -= (lrD * m) / (Math.sqrt(s) + eps);
      const b = v * C;
      let g2 = 0;
      for (let c = b; c < b + C; c++) g2 += gs[c] * gs[c];
      const sc = b2 * vSh[v] + ((1 - b2) * g2) / C;
      vSh[v] = sc;
      const scale = lrC / (Math.sqrt(sc) + eps);
      for (let c = b; c < b + C; c++) {
        const mc = b1 * mSh[c] + (1 - b1) * gs[c];
        gs[c] = 0;
        mSh[c] = mc;
        sh[c] -= scale * mc;
      }
    }
  }
}
