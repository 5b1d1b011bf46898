// A lazy (sparse) Adam for the voxel grids: only grid points that a batch touched are regularised and
// updated, so a step costs what the batch saw, not the grid size. At 128^3 the step is bound by memory
// latency (a batch touches a few hundred thousand points scattered over arrays of a hundred megabytes), so
// the layout serves it: a point's gradients are one contiguous row, its optimizer state another, and its
// colour coefficients share one second-moment estimate (the mean of their squared gradients, as Adafactor
// factors it): they are gradients of one interpolation with bases of similar scale. Work is split by
// x-slabs of the grid, so worker threads can each own a slab range; the two phases (reduce, update) are
// separated by a barrier so every read of a neighbour's parameters sees the same values whatever the
// thread count.
//
// A federated device can step under a second moment shared by all devices instead of its own (see
// federated/shared-second-moment.ts): its steps are then m̂ / sqrt(v_shared), linear in its gradients, so
// the devices' deltas average like one large batch. It also reports the squared gradients it saw, which
// edges and cloud pool into the next shared moment.

import type { VoxelGrid } from '../model/voxel-grid.js';
import type { GradientBuffers } from '../kernels/gradient-buffers.js';

/** Per point, `channels + 3` floats: [m density, v density, v colour, m colour x channels]. */
export interface AdamState {
  readonly stride: number;
  readonly moments: Float32Array;
}

/**
 * What a device steps under and reports when devices share a second moment. Per point: `moment` holds
 * [v density, v colour] in gradient units (0: none yet, the point steps with its own Adam), `squares`
 * accumulates [steps that touched it, sum of density gradient^2, sum of mean colour gradient^2].
 */
export interface SharedMomentBuffers {
  readonly moment: Float32Array;
  readonly squares: Float32Array;
}

export interface AdamHyper {
  /** 1-based step count, shared by all points (bias correction as in TF's LazyAdam). */
  readonly step: number;
  readonly lrDensity: number;
  readonly lrColor: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  /** Under a shared moment, a step is at most this many learning rates (its floor is m̂² / clip²). */
  readonly sharedStepClip: number;
}

export function createAdamState(points: number, channels: number, shared = false): AdamState {
  const n = points * (channels + 3);
  return { stride: channels + 3, moments: shared ? new Float32Array(new SharedArrayBuffer(n * 4)) : new Float32Array(n) };
}

export class SparseAdam {
  constructor(
    private readonly grid: VoxelGrid,
    private readonly state: AdamState,
    /** One buffer per thread; buffer 0 receives the merged gradient. */
    private readonly grads: readonly GradientBuffers[],
    /** Points updated since it was last cleared (a device's upload set); null when not tracked. */
    private readonly everTouched: Uint8Array | null = null,
    /** A federated device's shared second moment and squared-gradient sums; null: plain Adam. */
    private readonly shared: SharedMomentBuffers | null = null,
  ) {}

  /**
   * Phase 1 for x-slabs [i0, i1): merges every thread's gradient into buffer 0 and adds the gradient of
   * total variation at the touched points (tv * sum over the 6 neighbours of (p - p_n)).
   */
  reduce(i0: number, i1: number, tvDensity: number, tvColor: number): void {
    const [nx, ny, nz] = this.grid.geometry.dims;
    const C = this.grid.channels;
    const g0 = this.grads[0];
    const S = g0.stride,
      into = g0.values;
    const density = this.grid.density,
      sh = this.grid.sh;
    const sx = ny * nz;
    for (let i = i0; i < i1; i++) {
      const start = i * sx,
        end = start + sx;
      for (let t = 1; t < this.grads.length; t++) {
        const gt = this.grads[t];
        const from = gt.values;
        for (let v = start; v < end; v++) {
          if (gt.touched[v] === 0) continue;
          gt.touched[v] = 0;
          g0.touched[v] = 1;
          for (let k = v * S; k < (v + 1) * S; k++) {
            into[k] += from[k];
            from[k] = 0;
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
          // The neighbours that exist, as index offsets (a missing one is the point itself: no term).
          const dv0 = i > 0 ? -sx : 0,
            dv1 = i < nx - 1 ? sx : 0;
          const dv2 = j > 0 ? -nz : 0,
            dv3 = j < ny - 1 ? nz : 0;
          const dv4 = k > 0 ? -1 : 0,
            dv5 = k < nz - 1 ? 1 : 0;
          const row = v * S;
          if (tvDensity !== 0) {
            const p = density[v];
            into[row] +=
              tvDensity *
              (6 * p - density[v + dv0] - density[v + dv1] - density[v + dv2] - density[v + dv3] - density[v + dv4] - density[v + dv5]);
          }
          if (tvColor !== 0) {
            const b = v * C;
            const n0 = b + dv0 * C,
              n1 = b + dv1 * C,
              n2 = b + dv2 * C,
              n3 = b + dv3 * C,
              n4 = b + dv4 * C,
              n5 = b + dv5 * C;
            for (let c = 0; c < C; c++) {
              const p = sh[b + c];
              into[row + 1 + c] += tvColor * (6 * p - sh[n0 + c] - sh[n1 + c] - sh[n2 + c] - sh[n3 + c] - sh[n4 + c] - sh[n5 + c]);
            }
          }
        }
      }
    }
  }

  /**
   * Phase 2 for x-slabs [i0, i1): the Adam step on touched points; clears their gradients and flags.
   * Density and colour are two passes over the slab: V8's optimising compiler turns the fused loop into
   * code seven times slower (measured on Node 20: 225 ms against 33 ms for 200k points at 128^3).
   */
  update(i0: number, i1: number, h: AdamHyper): void {
    const [, ny, nz] = this.grid.geometry.dims;
    const C = this.grid.channels;
    const g0 = this.grads[0];
    const S = g0.stride,
      g = g0.values,
      touched = g0.touched,
      ever = this.everTouched;
    const M = this.state.stride,
      mom = this.state.moments;
    const density = this.grid.density,
      sh = this.grid.sh;
    const b1 = h.beta1,
      b2 = h.beta2,
      eps = h.epsilon;
    // m̂ = m * unbias; under a shared moment a step is m̂ / sqrt(max(v_shared, m̂² / clip²)).
    const unbias = 1 / (1 - b1 ** h.step);
    const correction = Math.sqrt(1 - b2 ** h.step) * unbias;
    const lrD = h.lrDensity * correction,
      lrC = h.lrColor * correction;
    const sharedMoment = this.shared?.moment ?? null,
      squares = this.shared?.squares ?? null;
    const floor = 1 / (h.sharedStepClip * h.sharedStepClip);
    const start = i0 * ny * nz,
      end = i1 * ny * nz;
    for (let v = start; v < end; v++) {
      if (touched[v] === 0) continue;
      const row = v * S,
        m = v * M;
      const gd = g[row];
      g[row] = 0;
      const md = b1 * mom[m] + (1 - b1) * gd;
      const vd = b2 * mom[m + 1] + (1 - b2) * gd * gd;
      mom[m] = md;
      mom[m + 1] = vd;
      const vs = sharedMoment !== null ? sharedMoment[2 * v] : 0;
      if (squares !== null) {
        squares[3 * v] += 1;
        squares[3 * v + 1] += gd * gd;
      }
      if (vs > 0) {
        const mh = md * unbias;
        density[v] -= (h.lrDensity * mh) / (Math.sqrt(Math.max(vs, mh * mh * floor)) + eps);
      } else {
        density[v] -= (lrD * md) / (Math.sqrt(vd) + eps);
      }
    }
    for (let v = start; v < end; v++) {
      if (touched[v] === 0) continue;
      touched[v] = 0;
      if (ever !== null) ever[v] = 1;
      const row = v * S,
        m = v * M;
      let g2 = 0;
      for (let c = 1; c <= C; c++) g2 += g[row + c] * g[row + c];
      const vc = b2 * mom[m + 2] + ((1 - b2) * g2) / C;
      mom[m + 2] = vc;
      if (squares !== null) squares[3 * v + 2] += g2 / C;
      const vs = sharedMoment !== null ? sharedMoment[2 * v + 1] : 0;
      const p = v * C;
      if (vs > 0) {
        // The floor needs every coefficient's new momentum before any coefficient steps.
        let m2 = 0;
        for (let c = 0; c < C; c++) {
          const mc = b1 * mom[m + 3 + c] + (1 - b1) * g[row + 1 + c];
          g[row + 1 + c] = 0;
          mom[m + 3 + c] = mc;
          m2 += mc * mc;
        }
        const scale = (h.lrColor * unbias) / (Math.sqrt(Math.max(vs, (m2 * unbias * unbias * floor) / C)) + eps);
        for (let c = 0; c < C; c++) sh[p + c] -= scale * mom[m + 3 + c];
        continue;
      }
      const scale = lrC / (Math.sqrt(vc) + eps);
      for (let c = 0; c < C; c++) {
        const mc = b1 * mom[m + 3 + c] + (1 - b1) * g[row + 1 + c];
        g[row + 1 + c] = 0;
        mom[m + 3 + c] = mc;
        sh[p + c] -= scale * mc;
      }
    }
  }
}
