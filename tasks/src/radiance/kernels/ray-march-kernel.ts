// The hot path: marching rays through the voxel grid (trilinear interpolation, density activation, SH
// colour, alpha compositing) forward, and the exact backward pass into dense gradient buffers. Written by
// hand over Float32Arrays because tfjs's gather gradient is dense and far too slow on a CPU; the same code
// renders (forward only) and trains, so what is trained is what is rendered.
//
// Compositing: C = sum_i T_i a_i c_i + T_end * background, T_i = prod_{j<i} (1 - a_j). The backward pass
// walks the samples in reverse with A_i = a_i c_i + (1 - a_i) A_{i+1} (A_end = background), which gives
// dC/da_i = T_i (c_i - A_{i+1}) without dividing by (1 - a_i).
//
// Contracted (unbounded) scenes: the grid spans contracted coordinates (scene-contraction.ts). Where the grid's
// box lies inside the inner box the contraction is an affine map, and the march is the plain one over the world
// box it stands for. Otherwise ("shell" marching) samples inside the inner box still step along the straight
// line, and samples outside it are contracted, each step's world length chosen so that it moves the contracted
// point by the same length; a step's opacity is per contracted length either way. The contraction holds no
// parameters, so the backward pass is the same.

import type { SeededRandom } from '@strata/shared';
import type { VoxelGrid } from '../model/voxel-grid.js';
import type { MarchSettings } from '../model/march-settings.js';
import { evalShBasis } from '../model/spherical-harmonics.js';
import { meanVoxelSize } from '../model/grid-geometry.js';
import { contractOuter, withinInnerBox } from '../model/scene-contraction.js';
import { OCCUPANCY_BLOCK_SHIFT, occupancyBlockDims, type OccupancyGrid } from './occupancy.js';
import type { GradientBuffers } from './gradient-buffers.js';
import { fastExp, fastLog1pUnit } from './fast-math.js';
import type { RaySet } from './ray-set.js';

/** What one forward march produced (valid until the next march). */
interface MarchResult {
  r: number;
  g: number;
  b: number;
  /** Expected termination distance, sum_i w_i t_i (0 when nothing was hit). */
  depth: number;
  /** Accumulated opacity, 1 - T_end. */
  opacity: number;
}

export class RayMarchKernel {
  private readonly nx: number;
  private readonly ny: number;
  private readonly nz: number;
  private readonly minX: number;
  private readonly minY: number;
  private readonly minZ: number;
  private readonly scaleX: number;
  private readonly scaleY: number;
  private readonly scaleZ: number;
  private readonly stepT: number;
  private readonly interval: number;
  /** Shell marching (see the header); the fields below it are for that mode only. */
  private readonly shell: boolean;
  /** The grid's box in contracted coordinates and grid points per contracted unit. */
  private readonly pMin: Float64Array;
  private readonly pScale: Float64Array;
  /** The step in contracted units, the contraction's centre and radius and the end of the scene (|u|inf). */
  private readonly stepP: number;
  private readonly center: Float64Array;
  private readonly radius: number;
  private readonly outer: number;
  /** Scratch: a sample in inner-box units (contracted in place), and the ray direction in those units. */
  private readonly u = new Float64Array(3);
  private readonly w = new Float64Array(3);
  private readonly maxSamples: number;
  private readonly basis: Float32Array;
  private readonly interp: Float32Array;
  private readonly dInterp: Float32Array;
  // Per-sample records of the last march, read back by the backward pass.
  private readonly sIndex: Int32Array;
  private readonly sFrac: Float32Array;
  private readonly sAlpha: Float32Array;
  private readonly sTrans: Float32Array;
  private readonly sColor: Float32Array;
  private readonly sDalpha: Float32Array;
  private sampleCount = 0;
  private readonly result: MarchResult = { r: 0, g: 0, b: 0, depth: 0, opacity: 0 };
  /** Samples composited since construction (a work count for throughput reports). */
  samplesComposited = 0;
  /** Cells and blocks marked 0 are skipped; null marches everywhere. */
  occupancy: OccupancyGrid | null = null;
  private readonly blockNy: number;
  private readonly blockNz: number;

  constructor(
    readonly grid: VoxelGrid,
    readonly settings: MarchSettings,
  ) {
    const { dims, bbox } = grid.geometry;
    [this.nx, this.ny, this.nz] = dims;
    const contraction = settings.contraction ?? null;
    // Grid coordinates of world points: through the contraction's affine part (identity without one).
    const origin = contraction?.center ?? [0, 0, 0];
    this.radius = contraction?.radius ?? 1;
    this.center = Float64Array.from(origin);
    this.outer = contraction?.outer ?? Infinity;
    this.shell = contraction !== null && !withinInnerBox(bbox);
    this.pMin = Float64Array.from(bbox.min);
    this.pScale = Float64Array.from([0, 1, 2], (a) => (dims[a] - 1) / (bbox.max[a] - bbox.min[a]));
    [this.minX, this.minY, this.minZ] = [0, 1, 2].map((a) => origin[a] + this.radius * bbox.min[a]);
    [this.scaleX, this.scaleY, this.scaleZ] = [0, 1, 2].map((a) => this.pScale[a] / this.radius);
    this.stepP = settings.stepRatio * meanVoxelSize(grid.geometry);
    this.stepT = this.radius * this.stepP;
    this.interval = this.stepP / settings.densityUnit;
    const diagonal = Math.hypot(dims[0], dims[1], dims[2]);
    // A contracted ray's path through the shell is curved and adds at most about as much again.
    this.maxSamples = Math.ceil((diagonal * (this.shell ? 3 : 1.5)) / settings.stepRatio) + 4;
    [, this.blockNy, this.blockNz] = occupancyBlockDims(grid.geometry);
    this.basis = new Float32Array(grid.basisSize);
    this.interp = new Float32Array(grid.channels);
    this.dInterp = new Float32Array(grid.channels);
    this.sIndex = new Int32Array(this.maxSamples);
    this.sFrac = new Float32Array(this.maxSamples * 3);
    this.sAlpha = new Float32Array(this.maxSamples);
    this.sTrans = new Float32Array(this.maxSamples);
    this.sColor = new Float32Array(this.maxSamples * 3);
    this.sDalpha = new Float32Array(this.maxSamples);
  }

  /**
   * Renders rays `from .. to` of (origins, dirs), writing rgb (3 per ray), depth and opacity (1 per ray)
   * at the ray's index; `depth`/`opacity` may be null.
   */
  renderRays(
    origins: Float32Array,
    dirs: Float32Array,
    from: number,
    to: number,
    rgb: Float32Array,
    depth: Float32Array | null,
    opacity: Float32Array | null,
  ): void {
    for (let i = from; i < to; i++) {
      const res = this.march(origins[3 * i], origins[3 * i + 1], origins[3 * i + 2], dirs[3 * i], dirs[3 * i + 1], dirs[3 * i + 2], 0.5);
      rgb[3 * i] = res.r;
      rgb[3 * i + 1] = res.g;
      rgb[3 * i + 2] = res.b;
      if (depth) depth[i] = res.depth;
      if (opacity) opacity[i] = res.opacity;
    }
  }

  /**
   * Forward and backward for rays `indices[from .. to)` of `rays` with loss gradScale * sum ||C - target||^2;
   * accumulates gradients into `grads` and returns the sum of squared errors. `rng` jitters each ray's first
   * sample (null: samples at voxel-step midpoints, as when rendering).
   */
  trainRays(
    rays: RaySet,
    indices: Uint32Array,
    from: number,
    to: number,
    rng: SeededRandom | null,
    grads: GradientBuffers,
    gradScale: number,
  ): number {
    const { origins, dirs, colors } = rays;
    let sse = 0;
    for (let n = from; n < to; n++) {
      const i = indices[n];
      const res = this.march(
        origins[3 * i],
        origins[3 * i + 1],
        origins[3 * i + 2],
        dirs[3 * i],
        dirs[3 * i + 1],
        dirs[3 * i + 2],
        rng ? rng.next() : 0.5,
      );
      const er = res.r - colors[3 * i];
      const eg = res.g - colors[3 * i + 1];
      const eb = res.b - colors[3 * i + 2];
      sse += er * er + eg * eg + eb * eb;
      this.backward(2 * gradScale * er, 2 * gradScale * eg, 2 * gradScale * eb, grads);
    }
    return sse;
  }

  /**
   * Forward march of one ray with unit direction d. Fills the sample records and returns the composited
   * colour. `jitter` in [0, 1) places the first sample within the first step.
   */
  march(ox: number, oy: number, oz: number, dx: number, dy: number, dz: number, jitter: number): MarchResult {
    const res = this.result;
    const bg = this.settings.background;
    this.sampleCount = 0;
    res.depth = 0;
    res.opacity = 0;
    res.r = bg[0];
    res.g = bg[1];
    res.b = bg[2];

    const nx = this.nx,
      ny = this.ny,
      nz = this.nz;
    // The ray in grid coordinates: p(t) = g + t * dg, inside the grid where 0 <= p <= n - 1.
    const gx = (ox - this.minX) * this.scaleX,
      gy = (oy - this.minY) * this.scaleY,
      gz = (oz - this.minZ) * this.scaleZ;
    const dgx = dx * this.scaleX,
      dgy = dy * this.scaleY,
      dgz = dz * this.scaleZ;
    let t0 = this.settings.near;
    let t1 = this.settings.far;
    const hiX = nx - 1,
      hiY = ny - 1,
      hiZ = nz - 1;
    const shell = this.shell;
    // Shell marching: the ray in inner-box units, u(t) = u0 + t w, clipped to where the scene ends.
    const u = this.u,
      w = this.w,
      R = this.radius;
    const ux0 = (ox - this.center[0]) / R,
      uy0 = (oy - this.center[1]) / R,
      uz0 = (oz - this.center[2]) / R;
    let tInnerExit = -Infinity;
    if (shell) {
      w[0] = dx / R;
      w[1] = dy / R;
      w[2] = dz / R;
      clipNear = t0;
      clipFar = t1;
      clipAxis(ux0, w[0], this.outer);
      clipAxis(uy0, w[1], this.outer);
      clipAxis(uz0, w[2], this.outer);
      t0 = clipNear;
      t1 = clipFar;
      if (!(t0 < t1)) return res;
      clipNear = -Infinity;
      clipFar = Infinity;
      clipAxis(ux0, w[0], 1);
      clipAxis(uy0, w[1], 1);
      clipAxis(uz0, w[2], 1);
      tInnerExit = clipFar;
    } else {
      if (Math.abs(dgx) < 1e-12) {
        if (gx < 0 || gx > hiX) return res;
      } else {
        const a = -gx / dgx,
          b = (hiX - gx) / dgx;
        t0 = Math.max(t0, Math.min(a, b));
        t1 = Math.min(t1, Math.max(a, b));
      }
      if (Math.abs(dgy) < 1e-12) {
        if (gy < 0 || gy > hiY) return res;
      } else {
        const a = -gy / dgy,
          b = (hiY - gy) / dgy;
        t0 = Math.max(t0, Math.min(a, b));
        t1 = Math.min(t1, Math.max(a, b));
      }
      if (Math.abs(dgz) < 1e-12) {
        if (gz < 0 || gz > hiZ) return res;
      } else {
        const a = -gz / dgz,
          b = (hiZ - gz) / dgz;
        t0 = Math.max(t0, Math.min(a, b));
        t1 = Math.min(t1, Math.max(a, b));
      }
    }
    if (!(t0 < t1)) return res;

    const grid = this.grid;
    const density = grid.density,
      sh = grid.sh;
    const occ = this.occupancy === null ? null : this.occupancy.cells;
    const blocks = this.occupancy === null ? null : this.occupancy.blocks;
    const bny = this.blockNy,
      bnz = this.blockNz,
      blockShift = OCCUPANCY_BLOCK_SHIFT,
      blockEdge = 1 << OCCUPANCY_BLOCK_SHIFT;
    const C = grid.channels,
      B = grid.basisSize;
    const basis = this.basis,
      interp = this.interp;
    evalShBasis(grid.shDegree, dx, dy, dz, basis);
    const shift = this.settings.densityShift,
      interval = this.interval;
    const termT = this.settings.terminationT,
      wThresh = this.settings.weightThreshold;
    const sIndex = this.sIndex,
      sFrac = this.sFrac,
      sAlpha = this.sAlpha,
      sTrans = this.sTrans;
    const sColor = this.sColor,
      sDalpha = this.sDalpha;
    const oz1 = nz,
      ox1 = ny * nz;
    const stepT = this.stepT;
    const maxN = this.maxSamples;

    const stepP = this.stepP,
      pMin = this.pMin,
      pScale = this.pScale;

    let T = 1,
      depth = 0,
      n = 0;
    // The world length of the step from t; constant but in a contracted shell.
    let dt = stepT;
    if (shell) {
      u[0] = ux0 + t0 * w[0];
      u[1] = uy0 + t0 * w[1];
      u[2] = uz0 + t0 * w[2];
      if (Math.abs(u[0]) > 1 || Math.abs(u[1]) > 1 || Math.abs(u[2]) > 1) dt = contractOuter(u, w, stepP);
    }
    const tFirst = t0 + jitter * dt;
    for (let t = tFirst; t < t1 && n < maxN; t += dt) {
      let px = gx + t * dgx,
        py = gy + t * dgy,
        pz = gz + t * dgz;
      let inner = true;
      if (shell) {
        u[0] = ux0 + t * w[0];
        u[1] = uy0 + t * w[1];
        u[2] = uz0 + t * w[2];
        if (Math.abs(u[0]) > 1 || Math.abs(u[1]) > 1 || Math.abs(u[2]) > 1) {
          inner = false;
          dt = contractOuter(u, w, stepP);
          px = (u[0] - pMin[0]) * pScale[0];
          py = (u[1] - pMin[1]) * pScale[1];
          pz = (u[2] - pMin[2]) * pScale[2];
        } else {
          dt = stepT;
        }
        // The grid's box may be a part of the contracted cube: there is nothing outside it.
        if (px < 0 || px > hiX || py < 0 || py > hiY || pz < 0 || pz > hiZ) continue;
      } else {
        if (px < 0) px = 0;
        else if (px > hiX) px = hiX;
        if (py < 0) py = 0;
        else if (py > hiY) py = hiY;
        if (pz < 0) pz = 0;
        else if (pz > hiZ) pz = hiZ;
      }
      let ix = px | 0,
        iy = py | 0,
        iz = pz | 0;
      if (ix > nx - 2) ix = nx - 2;
      if (iy > ny - 2) iy = ny - 2;
      if (iz > nz - 2) iz = nz - 2;
      if (blocks !== null) {
        const bx = ix >> blockShift,
          by = iy >> blockShift,
          bz = iz >> blockShift;
        if (blocks[(bx * bny + by) * bnz + bz] === 0) {
          // In a contracted shell the path is curved: step on.
          if (!inner) continue;
          // Jump to the first sample on this ray's lattice past the block's far faces (and, marching a shell,
          // no further than the first past the inner box, where the lattice ends).
          const ex = dgx > 0 ? ((bx + 1) * blockEdge - gx) / dgx : dgx < 0 ? (bx * blockEdge - gx) / dgx : Infinity;
          const ey = dgy > 0 ? ((by + 1) * blockEdge - gy) / dgy : dgy < 0 ? (by * blockEdge - gy) / dgy : Infinity;
          const ez = dgz > 0 ? ((bz + 1) * blockEdge - gz) / dgz : dgz < 0 ? (bz * blockEdge - gz) / dgz : Infinity;
          const base = shell ? t : tFirst;
          let next = base + Math.ceil((Math.min(ex, ey, ez) - base) / stepT) * stepT;
          if (shell) next = Math.min(next, t + Math.ceil((tInnerExit - t) / stepT) * stepT);
          if (next > t) t = next - stepT;
          continue;
        }
      }
      const v = (ix * ny + iy) * nz + iz;
      if (occ !== null && occ[v] === 0) continue;
      const fx = px - ix,
        fy = py - iy,
        fz = pz - iz;
      const ux = 1 - fx,
        uy = 1 - fy,
        uz = 1 - fz;
      const w000 = ux * uy * uz,
        w001 = ux * uy * fz,
        w010 = ux * fy * uz,
        w011 = ux * fy * fz;
      const w100 = fx * uy * uz,
        w101 = fx * uy * fz,
        w110 = fx * fy * uz,
        w111 = fx * fy * fz;
      const v001 = v + 1,
        v010 = v + oz1,
        v011 = v + oz1 + 1;
      const v100 = v + ox1,
        v101 = v100 + 1,
        v110 = v100 + oz1,
        v111 = v110 + 1;
      const raw =
        w000 * density[v] +
        w001 * density[v001] +
        w010 * density[v010] +
        w011 * density[v011] +
        w100 * density[v100] +
        w101 * density[v101] +
        w110 * density[v110] +
        w111 * density[v111];
      const x = raw + shift;
      // softplus(x) = log(1 + e^x), evaluated stably; alpha = 1 - exp(-interval * softplus(x)).
      const ex = fastExp(-Math.abs(x));
      const softplus = Math.max(x, 0) + fastLog1pUnit(ex);
      const keep = fastExp(-interval * softplus);
      const alpha = 1 - keep;
      const weight = T * alpha;
      if (weight < wThresh) continue;
      depth += weight * t;
      sIndex[n] = v;
      sFrac[3 * n] = fx;
      sFrac[3 * n + 1] = fy;
      sFrac[3 * n + 2] = fz;
      sAlpha[n] = alpha;
      sTrans[n] = T;
      // d alpha / d raw = interval * (1 - alpha) * sigmoid(x)
      sDalpha[n] = interval * keep * (x > 0 ? 1 / (1 + ex) : ex / (1 + ex));
      n++;
      T *= keep;
      if (T < termT) break;
    }
    // Colour pass over the kept samples. Separate from the density pass above on purpose: fused into one
    // loop, V8's optimising compiler produced code several times slower for the whole march.
    const oz1c = oz1 * C,
      ox1c = ox1 * C;
    let accR = 0,
      accG = 0,
      accB = 0;
    for (let k = 0; k < n; k++) {
      const fx = sFrac[3 * k],
        fy = sFrac[3 * k + 1],
        fz = sFrac[3 * k + 2];
      const ux = 1 - fx,
        uy = 1 - fy,
        uz = 1 - fz;
      const w000 = ux * uy * uz,
        w001 = ux * uy * fz,
        w010 = ux * fy * uz,
        w011 = ux * fy * fz;
      const w100 = fx * uy * uz,
        w101 = fx * uy * fz,
        w110 = fx * fy * uz,
        w111 = fx * fy * fz;
      const b0 = sIndex[k] * C,
        b1 = b0 + C,
        b2 = b0 + oz1c,
        b3 = b2 + C;
      const b4 = b0 + ox1c,
        b5 = b4 + C,
        b6 = b4 + oz1c,
        b7 = b6 + C;
      for (let j = 0; j < C; j++) {
        interp[j] =
          w000 * sh[b0 + j] +
          w001 * sh[b1 + j] +
          w010 * sh[b2 + j] +
          w011 * sh[b3 + j] +
          w100 * sh[b4 + j] +
          w101 * sh[b5 + j] +
          w110 * sh[b6 + j] +
          w111 * sh[b7 + j];
      }
      let pr = 0,
        pg = 0,
        pb = 0;
      for (let j = 0; j < B; j++) {
        const bj = basis[j];
        pr += interp[j] * bj;
        pg += interp[B + j] * bj;
        pb += interp[2 * B + j] * bj;
      }
      const cr = 1 / (1 + fastExp(-pr)),
        cg = 1 / (1 + fastExp(-pg)),
        cb = 1 / (1 + fastExp(-pb));
      const weight = sTrans[k] * sAlpha[k];
      accR += weight * cr;
      accG += weight * cg;
      accB += weight * cb;
      sColor[3 * k] = cr;
      sColor[3 * k + 1] = cg;
      sColor[3 * k + 2] = cb;
    }
    this.sampleCount = n;
    this.samplesComposited += n;
    res.r = accR + T * bg[0];
    res.g = accG + T * bg[1];
    res.b = accB + T * bg[2];
    res.depth = depth;
    res.opacity = 1 - T;
    return res;
  }

  /** Backward pass of the last march for dL/dC = (gr, gg, gb). */
  private backward(gr: number, gg: number, gb: number, grads: GradientBuffers): void {
    const bg = this.settings.background;
    const grid = this.grid;
    const C = grid.channels,
      B = grid.basisSize;
    const basis = this.basis,
      dInterp = this.dInterp;
    const g = grads.values,
      S = grads.stride,
      touched = grads.touched,
      vis = grads.visibility;
    const sIndex = this.sIndex,
      sFrac = this.sFrac,
      sAlpha = this.sAlpha,
      sTrans = this.sTrans;
    const sColor = this.sColor,
      sDalpha = this.sDalpha;
    const oz1 = this.nz,
      ox1 = this.ny * this.nz;
    let Ar = bg[0],
      Ag = bg[1],
      Ab = bg[2];
    for (let n = this.sampleCount - 1; n >= 0; n--) {
      const alpha = sAlpha[n],
        T = sTrans[n];
      const cr = sColor[3 * n],
        cg = sColor[3 * n + 1],
        cb = sColor[3 * n + 2];
      const w = T * alpha;
      const dAlpha = T * (gr * (cr - Ar) + gg * (cg - Ag) + gb * (cb - Ab));
      Ar = alpha * cr + (1 - alpha) * Ar;
      Ag = alpha * cg + (1 - alpha) * Ag;
      Ab = alpha * cb + (1 - alpha) * Ab;
      const dRaw = dAlpha * sDalpha[n];
      const dpr = gr * w * cr * (1 - cr),
        dpg = gg * w * cg * (1 - cg),
        dpb = gb * w * cb * (1 - cb);
      for (let j = 0; j < B; j++) {
        const bj = basis[j];
        dInterp[j] = dpr * bj;
        dInterp[B + j] = dpg * bj;
        dInterp[2 * B + j] = dpb * bj;
      }
      const v = sIndex[n];
      const fx = sFrac[3 * n],
        fy = sFrac[3 * n + 1],
        fz = sFrac[3 * n + 2];
      const ux = 1 - fx,
        uy = 1 - fy,
        uz = 1 - fz;
      const w000 = ux * uy * uz,
        w001 = ux * uy * fz,
        w010 = ux * fy * uz,
        w011 = ux * fy * fz;
      const w100 = fx * uy * uz,
        w101 = fx * uy * fz,
        w110 = fx * fy * uz,
        w111 = fx * fy * fz;
      const v001 = v + 1,
        v010 = v + oz1,
        v011 = v + oz1 + 1;
      const v100 = v + ox1,
        v101 = v100 + 1,
        v110 = v100 + oz1,
        v111 = v110 + 1;
      // Row layout per point: [density, SH...]; b* address each corner's row.
      const b0 = v * S,
        b1 = v001 * S,
        b2 = v010 * S,
        b3 = v011 * S;
      const b4 = v100 * S,
        b5 = v101 * S,
        b6 = v110 * S,
        b7 = v111 * S;
      g[b0] += w000 * dRaw;
      g[b1] += w001 * dRaw;
      g[b2] += w010 * dRaw;
      g[b3] += w011 * dRaw;
      g[b4] += w100 * dRaw;
      g[b5] += w101 * dRaw;
      g[b6] += w110 * dRaw;
      g[b7] += w111 * dRaw;
      for (let j = 0; j < C; j++) {
        const d = dInterp[j];
        const o = j + 1;
        g[b0 + o] += w000 * d;
        g[b1 + o] += w001 * d;
        g[b2 + o] += w010 * d;
        g[b3 + o] += w011 * d;
        g[b4 + o] += w100 * d;
        g[b5 + o] += w101 * d;
        g[b6 + o] += w110 * d;
        g[b7 + o] += w111 * d;
      }
      touched[v] = 1;
      touched[v001] = 1;
      touched[v010] = 1;
      touched[v011] = 1;
      touched[v100] = 1;
      touched[v101] = 1;
      touched[v110] = 1;
      touched[v111] = 1;
      if (vis !== null) {
        vis[v] += w000 * T;
        vis[v001] += w001 * T;
        vis[v010] += w010 * T;
        vis[v011] += w011 * T;
        vis[v100] += w100 * T;
        vis[v101] += w101 * T;
        vis[v110] += w110 * T;
        vis[v111] += w111 * T;
      }
    }
  }
}

// The ray's clipped range, from the last clipAxis calls (module variables, so that a march allocates nothing).
let clipNear = 0;
let clipFar = 0;

/** Narrows [clipNear, clipFar] to where the ray o + t w (one axis) lies in [-half, half]. */
function clipAxis(o: number, w: number, half: number): void {
  if (Math.abs(w) < 1e-12) {
    if (Math.abs(o) > half) clipFar = -Infinity;
    return;
  }
  const lo = (-half - o) / w,
    hi = (half - o) / w;
  clipNear = Math.max(clipNear, Math.min(lo, hi));
  clipFar = Math.min(clipFar, Math.max(lo, hi));
}
