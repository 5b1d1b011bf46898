// Tile rasterizer for projected Gaussians (3DGS's forward and backward passes on the CPU): Gaussians are
// sorted by depth once, binned into 8x8-pixel tiles in that order (with a packed copy of what the pixels
// read, so the inner loop reads memory in order; 8 rather than CUDA's 16 since a CPU has no warps to fill), and each pixel composites its tile's
// list front to back (alpha = opacity * exp(-d^T K d / 2), capped at 0.99, skipped under 1/255, stopping
// when transmittance falls under 1e-4). The backward pass walks each pixel's list back to front from the
// last Gaussian it used, recovering transmittance by division, as the CUDA reference does.

import type { Camera } from '../data/camera.js';
import type { GaussianCloud } from '../model/gaussian-cloud.js';
import type { Vec3 } from '../model/grid-geometry.js';
import {
  ProjectedGaussians,
  ProjectedGradients,
  projectGaussians,
  projectGaussiansBackward,
  projectionCamera,
  type ProjectionCamera,
} from './gaussian-projection.js';
import { DEPTH_KEY_LIMIT, DepthOrder } from './depth-order.js';
import {
  ENTRY_CUT,
  ENTRY_X_FIRST,
  SPLAT_ENTRY_FLOATS,
  SPLAT_STATE_FLOATS,
  wasmSplatCompositor,
  type WasmSplatCompositor,
} from './wasm-splat-compositor.js';

export const TILE_SIZE = 8;
/**
 * Per tile-list entry: u, v, conic a, b, c, opacity, r, g, b, depth, radius (a copy, read in order), then as
 * int32 the radius square's columns and its rows within the ellipse's reach (unclipped; the SIMD kernel's).
 */
const PACKED = SPLAT_ENTRY_FLOATS;
const MIN_ALPHA = 1 / 255;
const MAX_ALPHA = 0.99;
const MIN_TRANSMITTANCE = 1e-4;
const DEPTH_LEVELS = DEPTH_KEY_LIMIT - 1;

/** One rendered frame: colour on the background, alpha-weighted camera depth, opacity. */
export interface RasterFrame {
  readonly width: number;
  readonly height: number;
  readonly rgb: Float32Array;
  /** Sum of weight * camera-space depth (divide by opacity for the expected depth of what was hit). */
  readonly depth: Float32Array;
  readonly opacity: Float32Array;
}

/**
 * A forward-only render of some of a frame's tile rows into the caller's full-frame buffers (what the view
 * renderers' worker threads do: each takes every `tileRowStride`-th tile row, or block of `tileRowBlock` tile
 * rows, from `tileRowOffset`, bins and composites only those). The backward pass is not available after one.
 */
export interface RasterBand {
  readonly tileRowOffset: number;
  readonly tileRowStride: number;
  /**
   * Tile rows per block (default 1): the band is the rows of blocks offset, offset + stride, ... (floor(ty /
   * block) % stride === offset). Blocks of several rows cut the Gaussians that two workers' bands both bin.
   */
  readonly tileRowBlock?: number;
  /** Full-frame buffers: rgb (3 per pixel), depth and opacity (1 per pixel); only the band's pixels are written. */
  readonly rgb: Float32Array;
  readonly depth: Float32Array;
  readonly opacity: Float32Array;
  /**
   * A pixel stops once its transmittance falls under this after compositing (the fast path; 1e-4, the
   * reference's own cut, changes nothing).
   */
  readonly stopTransmittance: number;
  /**
   * Alphas under this are skipped, and each row visits only the columns where alpha can reach it (the fast
   * path raises it from the reference's 1/255: fewer Gaussian-pixel pairs; the tiles are binned as before).
   */
  readonly minAlpha?: number;
  /** exp from a table with linear interpolation (relative error under 1e-5; Math.exp was half the compositing). */
  readonly tableExp?: boolean;
  /**
   * Composite with the WebAssembly SIMD kernel (wasm-splat-compositor.ts: f32 lanes, polynomial exp, so
   * `tableExp` does not apply) where the runtime has it; the JS loop otherwise.
   */
  readonly simd?: boolean;
  /**
   * The rasterizer's `projected` already holds this camera's projection of the cloud (its owner projected it,
   * shared between workers): the band is binned and composited from it, not projected again.
   */
  readonly projected?: boolean;
  /**
   * What `depth` receives: 'median', the camera depth of the Gaussian at which transmittance crosses 0.5 (0
   * where it never does), or 'weighted', the sum of weight x depth as `forward` returns it.
   */
  readonly depthMode: 'median' | 'weighted';
}

const span = [0, 0];

/** Which tile rows a binning covers (RasterBand's tileRowOffset, tileRowStride, tileRowBlock). */
interface BandRows {
  readonly offset: number;
  readonly stride: number;
  readonly block: number;
}
const WHOLE_FRAME: BandRows = { offset: 0, stride: 1, block: 1 };

/** e^-x at x = k * 6 / EXP_STEPS (k = 0..EXP_STEPS + 1): beyond x = 6, alpha = opacity * e^-x < 1/255 anyway. */
const EXP_STEPS = 4096;
const EXP_SCALE = EXP_STEPS / 6;
const EXP_TABLE = Float64Array.from({ length: EXP_STEPS + 2 }, (_, k) => Math.exp(-k / EXP_SCALE));
/** EXP_TABLE[k + 1] - EXP_TABLE[k], the interpolation's slope (one load instead of two). */
const EXP_SLOPE = Float64Array.from({ length: EXP_STEPS + 1 }, (_, k) => EXP_TABLE[k + 1] - EXP_TABLE[k]);

/**
 * The pixel columns of row offset `dy` (Gaussian centre minus pixel centre) where alpha can reach 1/255: the
 * ellipse a dx^2 + 2 b dx dy + c dy^2 <= cut solved for dx, clipped to [xa, xb]; null when none. Forward and
 * backward use the same span, so a pixel either takes part in both or in neither.
 */
function rowSpan(u: number, dy: number, a: number, b: number, c: number, cut: number, xa: number, xb: number): number[] | null {
  const bdy = b * dy;
  const disc = bdy * bdy - a * (c * dy * dy - cut);
  if (!(disc >= 0)) return null;
  const root = Math.sqrt(disc);
  // dx = u - (x + 0.5) lies in [(-bdy - root) / a, (-bdy + root) / a].
  const first = Math.max(xa, Math.ceil(u - 0.5 - (-bdy + root) / a));
  const last = Math.min(xb, Math.floor(u - 0.5 - (-bdy - root) / a));
  if (first > last) return null;
  span[0] = first;
  span[1] = last;
  return span;
}

/**
 * The first tile row of the band at or after tile row y0: a band is the tile rows ty with floor(ty / block) %
 * stride === offset (block 1: rows offset + k * stride). int32 throughout (a modulo of doubles is a call to
 * fmod: 3% of the binning's samples). A function, not a closure per call: a fresh closure inlined into the
 * binning deoptimised it on every call ("wrong call target").
 */
export function firstBandRow(y0: number, offset: number, stride: number, block: number): number {
  const blockOf = ((y0 | 0) / (block | 0)) | 0;
  const ahead = (((offset | 0) - blockOf) % (stride | 0)) | 0;
  if (ahead === 0) return y0 | 0;
  return ((blockOf + (ahead < 0 ? ahead + (stride | 0) : ahead)) * (block | 0)) | 0;
}

/** The band's next tile row after ty (a row of the band): the next in its block, else the first of its next block. */
export function nextBandRow(ty: number, stride: number, block: number): number {
  const next = ((ty | 0) + 1) | 0;
  return next % (block | 0) === 0 ? (next + ((stride | 0) - 1) * (block | 0)) | 0 : next;
}

/** Per pixel of a tile, while compositing: transmittance, accumulated rgb + depth, last entry, stopped; live pixels per row. */
function tileScratch(pixels: number) {
  return {
    T: new Float64Array(pixels),
    acc: new Float64Array(4 * pixels),
    last: new Int32Array(pixels),
    stopped: new Uint8Array(pixels),
    /** Per pixel row of the tile: pixels not yet stopped (a row with none is skipped). */
    rowLive: new Int32Array(TILE_SIZE),
  };
}

/**
 * Per Gaussian, what ellipseTileColumns needs of its ellipse Q(X, Y) = a X^2 + 2 b X Y + c Y^2 <= cut beyond the
 * conic (computed once per Gaussian, not once per tile row): det, the vertical and horizontal reach, and the Y
 * at which X is largest. `degenerate` when the ellipse is not one (every column of the square is kept).
 */
class EllipseReach {
  degenerate = false;
  det = 0;
  yReach = 0;
  xReach = 0;
  yAtRight = 0;

  set(a: number, b: number, c: number, cut: number): void {
    const det = a * c - b * b;
    this.degenerate = !(det > 0 && a > 0 && c > 0 && cut > 0);
    if (this.degenerate) return;
    this.det = det;
    this.yReach = Math.sqrt((a * cut) / det);
    this.xReach = Math.sqrt((cut * c) / det);
    this.yAtRight = -b * Math.sqrt(cut / (det * c));
  }
}

/**
 * The tile columns of tile row `ty` that the ellipse Q(X, Y) = a X^2 + 2 b X Y + c Y^2 <= cut (X, Y: pixel
 * position minus the Gaussian's centre (u, v); where alpha can reach 1/255) crosses, clipped to [x0, x1], into
 * `out`; false when it misses the row (`reach`: the ellipse's per-Gaussian constants, EllipseReach). Exact
 * for the continuous ellipse over the row's y-interval (the right bound X_hi(Y) is concave, the left convex:
 * their extremes are at the interval's ends or at the stationary point), widened by a hundredth of a pixel, so
 * every pixel the compositing visits stays binned: only the square's corner tiles the ellipse misses are
 * dropped, which for thin or tilted Gaussians are most.
 */
function ellipseTileColumns(
  u: number,
  v: number,
  a: number,
  b: number,
  cut: number,
  reach: EllipseReach,
  ty: number,
  x0: number,
  x1: number,
  out: Int32Array,
): boolean {
  if (reach.degenerate) {
    out[0] = x0;
    out[1] = x1;
    return true;
  }
  const { det, yReach, xReach, yAtRight } = reach;
  const Y0 = Math.max(-yReach, ty * TILE_SIZE - v),
    Y1 = Math.min(yReach, (ty + 1) * TILE_SIZE - v);
  if (Y0 > Y1) return false;
  // The ellipse's half-width at Y0 and Y1 (no closure: this runs per Gaussian per tile row).
  const root0 = Math.sqrt(Math.max(0, a * cut - det * Y0 * Y0)),
    root1 = Math.sqrt(Math.max(0, a * cut - det * Y1 * Y1));
  const hi = yAtRight >= Y0 && yAtRight <= Y1 ? xReach : Math.max((-b * Y0 + root0) / a, (-b * Y1 + root1) / a);
  const lo = -yAtRight >= Y0 && -yAtRight <= Y1 ? -xReach : Math.min((-b * Y0 - root0) / a, (-b * Y1 - root1) / a);
  const first = Math.max(x0, Math.floor((u + lo - 0.01) / TILE_SIZE)),
    last = Math.min(x1, Math.floor((u + hi + 0.01) / TILE_SIZE));
  if (first > last) return false;
  out[0] = first;
  out[1] = last;
  return true;
}

/**
 * Gaussian i's packed record at `at`: u, v, conic a, b, c, opacity, r, g, b, depth, radius, then (int32) the
 * radius square's first and last columns and its rows within the ellipse's reach, then the widened cut.
 */
function writeRecord(
  data: Float32Array,
  ints: Int32Array,
  at: number,
  i: number,
  projected: ProjectedGaussians,
  xFirst: number,
  xLast: number,
  yFirst: number,
  yLast: number,
  cut: number,
): void {
  const { mean2d, conic, opacity, color, depth, radius } = projected;
  data[at] = mean2d[2 * i];
  data[at + 1] = mean2d[2 * i + 1];
  data[at + 2] = conic[3 * i];
  data[at + 3] = conic[3 * i + 1];
  data[at + 4] = conic[3 * i + 2];
  data[at + 5] = opacity[i];
  data[at + 6] = color[3 * i];
  data[at + 7] = color[3 * i + 1];
  data[at + 8] = color[3 * i + 2];
  data[at + 9] = depth[i];
  data[at + 10] = radius[i];
  ints[at + ENTRY_X_FIRST] = xFirst;
  ints[at + ENTRY_X_FIRST + 1] = xLast;
  ints[at + ENTRY_X_FIRST + 2] = yFirst;
  ints[at + ENTRY_X_FIRST + 3] = yLast;
  data[at + ENTRY_CUT] = cut;
}

/** An integer within int32 (the packed entries' pixel bounds; +-Infinity for a degenerate ellipse's reach). */
function clampInt(value: number): number {
  return Math.max(-(2 ** 30), Math.min(2 ** 30, value)) | 0;
}

export class GaussianRasterizer {
  /** A projection's arrays may be given (ProjectedGaussians.shared: workers that project parts of one cloud). */
  constructor(readonly projected = new ProjectedGaussians()) {}

  readonly dProjected = new ProjectedGradients();
  private cam: ProjectionCamera | null = null;
  private cloud: GaussianCloud | null = null;
  private background: Vec3 = [0, 0, 0];
  private tilesX = 0;
  private tilesY = 0;
  private tileStart = new Int32Array(0);
  private tileList = new Int32Array(0);
  private readonly depthOrder = new DepthOrder();
  private order = new Int32Array(0);
  private fill = new Int32Array(0);
  private readonly columns = new Int32Array(2);
  /** The binning's first pass's tile columns per (Gaussian, tile row) in visiting order (first, last; -1: none), for the second. */
  private rowColumns = new Int32Array(0);
  /** Per Gaussian of the band, in depth order: its first band row and last tile row (from the binning's first pass). */
  private bandRows = new Int32Array(0);
  private readonly ellipse = new EllipseReach();
  private tileData = new Float32Array(0);
  /** tileData's bytes as int32 (the entries' integer fields). */
  private tileInts = new Int32Array(0);
  /** The SIMD compositor (created on the first band that asks for it; null where WebAssembly SIMD is missing). */
  private simd: WasmSplatCompositor | null | undefined;
  /**
   * Per Gaussian, from the binning: the ellipse's cut (-2 ln(minAlpha / opacity): where alpha reaches
   * minAlpha) and how far from its centre, in rows, that ellipse reaches (compositing skips rows beyond it).
   */
  private cuts = new Float64Array(0);
  private rowReach = new Float64Array(0);
  private finalT = new Float32Array(0);
  /** Per pixel: the tile-list entry of the last Gaussian it composited (-1: none). */
  private lastEntry = new Int32Array(0);
  private tileScratch = tileScratch(0);
  /** Gaussian-pixel pairs composited by the last forward pass (work done, for benches). */
  composited = 0;

  /** Renders `cloud` from `camera` and keeps what the backward pass needs. */
  forward(cloud: GaussianCloud, camera: Camera, background: Vec3): RasterFrame {
    const cam = projectionCamera(camera);
    this.cam = cam;
    this.cloud = cloud;
    this.background = background;
    projectGaussians(cloud, cam, this.projected);
    this.binTiles(cloud.count, cam, WHOLE_FRAME, MIN_ALPHA);
    const n = cam.width * cam.height;
    const frame = { rgb: new Float32Array(3 * n), depth: new Float32Array(n), opacity: new Float32Array(n) };
    this.composited = this.composite(
      cam,
      { ...frame, tileRowOffset: 0, tileRowStride: 1, stopTransmittance: MIN_TRANSMITTANCE, depthMode: 'weighted' },
      true,
    );
    return { width: cam.width, height: cam.height, ...frame };
  }

  /** Renders the tile rows of `band` (forward only; buffers reused between frames, nothing kept for backward). */
  renderBand(cloud: GaussianCloud, camera: Camera, background: Vec3, band: RasterBand): void {
    const { tileRowOffset, tileRowStride } = band;
    const tileRowBlock = band.tileRowBlock ?? 1;
    if (
      !Number.isInteger(tileRowStride) ||
      tileRowStride < 1 ||
      !Number.isInteger(tileRowOffset) ||
      tileRowOffset < 0 ||
      tileRowOffset >= tileRowStride
    )
      throw new RangeError(`gaussian rasterizer: tile rows ${tileRowOffset} + k * ${tileRowStride} are not a band`);
    if (!Number.isInteger(tileRowBlock) || tileRowBlock < 1)
      throw new RangeError(`gaussian rasterizer: a band's block of ${tileRowBlock} tile rows is not a positive integer`);
    const cam = projectionCamera(camera);
    this.cam = null;
    this.cloud = null;
    this.background = background;
    if (band.projected !== true) projectGaussians(cloud, cam, this.projected);
    else if (this.projected.capacity < cloud.count)
      throw new RangeError(`gaussian rasterizer: the projection given holds ${this.projected.capacity} of ${cloud.count} Gaussians`);
    if (band.simd === true && this.simd === undefined) this.simd = wasmSplatCompositor();
    const kernel = band.simd === true ? this.simd : null;
    const minAlpha = Math.max(MIN_ALPHA, band.minAlpha ?? MIN_ALPHA);
    this.binTiles(cloud.count, cam, { offset: tileRowOffset, stride: tileRowStride, block: tileRowBlock }, minAlpha, kernel, true);
    this.composited = kernel ? this.compositeSimd(kernel, cam, band) : this.composite(cam, band, false);
  }

  /** Whether bands that ask for SIMD get it here (after the first such band; undefined before). */
  get simdAvailable(): boolean | undefined {
    return this.simd === undefined ? undefined : this.simd !== null;
  }

  /**
   * Bins the visible Gaussians, in depth order, into the tiles of rows offset + k * stride that their alpha >=
   * `minAlpha` ellipse crosses (the compositing's own cut, so a tile it misses would get no pixel from it).
   */
  private binTiles(
    count: number,
    cam: ProjectionCamera,
    rows: BandRows,
    minAlpha: number,
    kernel: WasmSplatCompositor | null = null,
    forwardOnly = false,
  ): void {
    const rowOffset = rows.offset,
      rowStride = rows.stride,
      rowBlock = rows.block;
    const { radius, depth, mean2d } = this.projected;
    this.tilesX = Math.ceil(cam.width / TILE_SIZE);
    this.tilesY = Math.ceil(cam.height / TILE_SIZE);
    const tiles = this.tilesX * this.tilesY;
    let visible = 0,
      dmin = Infinity,
      dmax = -Infinity;
    for (let i = 0; i < count; i++) {
      if (radius[i] === 0) continue;
      visible++;
      if (depth[i] < dmin) dmin = depth[i];
      if (depth[i] > dmax) dmax = depth[i];
    }
    // Depth quantised to 24 bits, sorted stably with the index (depth-order.ts: ties in index order). Only the
    // Gaussians whose alpha >= minAlpha ellipse (its reach, widened) reaches a row of the band are sorted (the
    // scale is all visible ones', so the keys, and the order, are those of a whole-frame render); the others
    // would get no tile entry in the band. A forward-only band also leaves out the Gaussians too faint to reach
    // minAlpha anywhere (alpha <= opacity, and the kernel's exp is within 1e-5 of exact): no pixel takes them.
    const depthOrder = this.depthOrder;
    depthOrder.reserve(visible);
    const { keys, indices } = depthOrder;
    const scale = dmax > dmin ? DEPTH_LEVELS / (dmax - dmin) : 0;
    const { conic, opacity } = this.projected;
    if (this.cuts.length < count) {
      this.cuts = new Float64Array(Math.ceil(count * 1.25));
      this.rowReach = new Float64Array(Math.ceil(count * 1.25));
    }
    const { cuts, rowReach } = this;
    // Per Gaussian of the band: its first band row and last tile row within reach (read by both passes).
    if (this.bandRows.length < 2 * count) this.bandRows = new Int32Array(Math.ceil(2 * count * 1.25));
    const bandRows = this.bandRows;
    const { tilesX, tilesY } = this;
    let inBand = 0,
      rowsInBand = 0;
    for (let i = 0; i < count; i++) {
      const r = radius[i];
      if (r === 0) continue;
      const op = opacity[i];
      if (forwardOnly && op * (1 + 1e-5) < minAlpha) continue;
      const ca = conic[3 * i],
        cb = conic[3 * i + 1],
        cc = conic[3 * i + 2],
        cut = -2 * Math.log(minAlpha / op);
      cuts[i] = cut;
      // |dy| <= sqrt(a cut / det) where the row has a span; widened, so rounding never drops a row with one.
      const det = ca * cc - cb * cb;
      const reach = det > 0 && ca > 0 ? Math.sqrt((ca * cut) / det) * (1 + 1e-6) + 1e-3 : Infinity;
      rowReach[i] = reach;
      // Tile rows the ellipse can cross (ellipseTileColumns finds none beyond its reach): no wider than the square.
      // biome-ignore lint/complexity/useMathMinMax: reach is NaN where cut <= 0, and then the square's rows are meant (Math.min gives NaN)
      const rowsReach = reach < r ? reach : r;
      const v = mean2d[2 * i + 1];
      const y0 = Math.max(0, Math.floor((v - rowsReach) / TILE_SIZE)),
        y1 = Math.min(tilesY - 1, Math.floor((v + rowsReach) / TILE_SIZE));
      const first = firstBandRow(y0, rowOffset, rowStride, rowBlock);
      if (first > y1) continue;
      for (let ty = first; ty <= y1; ty = nextBandRow(ty, rowStride, rowBlock)) rowsInBand++;
      bandRows[2 * i] = first;
      bandRows[2 * i + 1] = y1;
      keys[inBand] = Math.floor((depth[i] - dmin) * scale);
      indices[inBand++] = i;
    }
    visible = inBand;
    depthOrder.sort(visible);
    if (this.tileStart.length < tiles + 1) this.tileStart = new Int32Array(tiles + 1);
    const counts = this.tileStart;
    counts.fill(0);
    const columns = this.columns;
    const ellipse = this.ellipse;
    if (this.rowColumns.length < 2 * rowsInBand) this.rowColumns = new Int32Array(Math.ceil(2 * rowsInBand * 1.25));
    const rowColumns = this.rowColumns;
    let columnsAt = 0;
    if (this.order.length < visible) this.order = new Int32Array(Math.ceil(visible * 1.25));
    const order = this.order;
    // First pass, in depth order: each Gaussian's tile columns per band row (kept for the second), counted per tile.
    for (let k = 0; k < visible; k++) {
      const i = indices[k];
      order[k] = i;
      const r = radius[i],
        u = mean2d[2 * i],
        v = mean2d[2 * i + 1];
      const x0 = Math.max(0, Math.floor((u - r) / TILE_SIZE)),
        x1 = Math.min(tilesX - 1, Math.floor((u + r) / TILE_SIZE));
      const y0 = bandRows[2 * i],
        y1 = bandRows[2 * i + 1];
      const ca = conic[3 * i],
        cb = conic[3 * i + 1],
        cut = cuts[i];
      ellipse.set(ca, cb, conic[3 * i + 2], cut);
      for (let ty = y0; ty <= y1; ty = nextBandRow(ty, rowStride, rowBlock)) {
        if (!ellipseTileColumns(u, v, ca, cb, cut, ellipse, ty, x0, x1, columns)) {
          rowColumns[columnsAt++] = -1;
          rowColumns[columnsAt++] = -1;
          continue;
        }
        const c0 = columns[0],
          c1 = columns[1];
        rowColumns[columnsAt++] = c0;
        rowColumns[columnsAt++] = c1;
        for (let t = ty * tilesX + c0 + 1, tEnd = ty * tilesX + c1 + 1; t <= tEnd; t++) counts[t]++;
      }
    }
    for (let t = 0; t < tiles; t++) counts[t + 1] += counts[t];
    if (this.fill.length < tiles) this.fill = new Int32Array(tiles);
    const fill = this.fill;
    fill.set(counts.subarray(0, tiles));
    if (this.tileList.length < counts[tiles]) this.tileList = new Int32Array(Math.ceil(counts[tiles] * 1.25));
    // The JS loop reads a packed copy per entry; the SIMD kernel one record per Gaussian, in depth order, in
    // its own memory, and its lists hold the records' addresses.
    if (kernel) kernel.reserve(visible, counts[tiles]);
    else if (this.tileData.length < PACKED * counts[tiles]) {
      this.tileData = new Float32Array(Math.ceil(PACKED * counts[tiles] * 1.25));
      this.tileInts = new Int32Array(this.tileData.buffer);
    }
    const data = kernel ? kernel.records : this.tileData,
      ints = kernel ? kernel.recordInts : this.tileInts,
      list = kernel ? kernel.list : this.tileList;
    columnsAt = 0;
    // Second pass, in the same order: each Gaussian's record, and its entries into the tiles' lists.
    for (let k = 0; k < visible; k++) {
      const i = order[k];
      const y0 = bandRows[2 * i],
        y1 = bandRows[2 * i + 1];
      // The radius square's pixels, rows within the ellipse's reach (what the compositing visits), clamped to int32.
      const u = mean2d[2 * i],
        v = mean2d[2 * i + 1],
        r = radius[i],
        reach = rowReach[i],
        cutWide = cuts[i] * (1 + 1e-4) + 1e-4;
      const xFirst = clampInt(Math.ceil(u - r - 0.5)),
        xLast = clampInt(Math.floor(u + r - 0.5)),
        yFirst = clampInt(Math.max(Math.ceil(v - r - 0.5), Math.ceil(v - reach - 0.5))),
        yLast = clampInt(Math.min(Math.floor(v + r - 0.5), Math.floor(v + reach - 0.5)));
      if (kernel) {
        writeRecord(data, ints, PACKED * k, i, this.projected, xFirst, xLast, yFirst, yLast, cutWide);
        const address = kernel.recordAddress(k);
        for (let ty = y0; ty <= y1; ty = nextBandRow(ty, rowStride, rowBlock)) {
          const first = rowColumns[columnsAt++],
            last = rowColumns[columnsAt++];
          if (first < 0) continue;
          for (let t = ty * tilesX + first, tEnd = ty * tilesX + last; t <= tEnd; t++) list[fill[t]++] = address;
        }
        continue;
      }
      for (let ty = y0; ty <= y1; ty = nextBandRow(ty, rowStride, rowBlock)) {
        const first = rowColumns[columnsAt++],
          last = rowColumns[columnsAt++];
        if (first < 0) continue;
        for (let tx = first; tx <= last; tx++) {
          const e = fill[ty * tilesX + tx]++;
          list[e] = i;
          writeRecord(data, ints, PACKED * e, i, this.projected, xFirst, xLast, yFirst, yLast, cutWide);
        }
      }
    }
  }

  /**
   * Composites the band's tile rows into its buffers (and, when `forBackward`, keeps each pixel's final T and
   * last entry); returns the pairs composited.
   */
  private composite(cam: ProjectionCamera, band: RasterBand, forBackward: boolean): number {
    const { width, height } = cam;
    const n = width * height;
    const { rgb, depth: depthOut, opacity: opacityOut } = checkedBandBuffers(cam, band);
    if (forBackward && this.finalT.length < n) {
      this.finalT = new Float32Array(n);
      this.lastEntry = new Int32Array(n);
    }
    const data = this.tileData,
      start = this.tileStart,
      list = this.tileList,
      { cuts, rowReach } = this;
    const [bgR, bgG, bgB] = this.background;
    const stopT = band.stopTransmittance;
    const minAlpha = Math.max(MIN_ALPHA, band.minAlpha ?? MIN_ALPHA);
    const tableExp = band.tableExp === true;
    const median = band.depthMode === 'median';
    const pixels = TILE_SIZE * TILE_SIZE;
    if (this.tileScratch.T.length < pixels) this.tileScratch = tileScratch(pixels);
    const { T, acc, last, stopped, rowLive } = this.tileScratch;
    let composited = 0;
    // Read once: callers' band objects come in several shapes (a property read per tile row deoptimised this).
    const rowStride = band.tileRowStride,
      rowBlock = band.tileRowBlock ?? 1;
    for (let ty = firstBandRow(0, band.tileRowOffset, rowStride, rowBlock); ty < this.tilesY; ty = nextBandRow(ty, rowStride, rowBlock)) {
      for (let tx = 0; tx < this.tilesX; tx++) {
        const tile = ty * this.tilesX + tx;
        const x0 = tx * TILE_SIZE,
          y0 = ty * TILE_SIZE;
        const xEnd = Math.min(width, x0 + TILE_SIZE),
          yEnd = Math.min(height, y0 + TILE_SIZE);
        const live = (xEnd - x0) * (yEnd - y0);
        T.fill(1);
        acc.fill(0);
        last.fill(-1);
        stopped.fill(0);
        for (let r = 0; r < TILE_SIZE; r++) rowLive[r] = y0 + r < yEnd ? xEnd - x0 : 0;
        let done = 0;
        // Entries outer, pixels inner: each Gaussian touches only the pixels of its footprint's square.
        for (let k = start[tile], end = start[tile + 1]; k < end && done < live; k++) {
          const at = PACKED * k;
          const u = data[at],
            v = data[at + 1],
            rad = data[at + 10];
          const xa = Math.max(x0, Math.ceil(u - rad - 0.5)),
            xb = Math.min(xEnd - 1, Math.floor(u + rad - 0.5));
          // Rows beyond the ellipse's reach would find no span (the radius's square is wider than the ellipse).
          const i = list[k],
            reach = rowReach[i];
          const ya = Math.max(y0, Math.ceil(v - rad - 0.5), Math.ceil(v - reach - 0.5)),
            yb = Math.min(yEnd - 1, Math.floor(v + rad - 0.5), Math.floor(v + reach - 0.5));
          const ca = data[at + 2],
            cb = data[at + 3],
            cc = data[at + 4],
            op = data[at + 5];
          const cut = cuts[i];
          // Read once per entry, not per pixel (the arithmetic is the backward pass's, term for term).
          const cR = data[at + 6],
            cG = data[at + 7],
            cB = data[at + 8],
            cZ = data[at + 9];
          for (let y = ya; y <= yb; y++) {
            if (rowLive[y - y0] === 0) continue;
            const dy = v - (y + 0.5);
            // rowSpan's arithmetic, inline and into int32 loop bounds (its array holds doubles: indexing by
            // them cost a conversion per pixel).
            const bdy = cb * dy;
            const disc = bdy * bdy - ca * (cc * dy * dy - cut);
            if (!(disc >= 0)) continue;
            const root = Math.sqrt(disc);
            let first = Math.ceil(u - 0.5 - (-bdy + root) / ca),
              xLast = Math.floor(u - 0.5 - (-bdy - root) / ca);
            if (first < xa) first = xa;
            if (xLast > xb) xLast = xb;
            if (!(first <= xLast)) continue;
            const rowBase = (y - y0) * TILE_SIZE - x0;
            const ccdy = cc * dy * dy;
            for (let x = first | 0, end = xLast | 0; x <= end; x++) {
              const q = rowBase + x;
              if (stopped[q]) continue;
              const t = T[q];
              const dx = u - (x + 0.5);
              const power = -0.5 * (ca * dx * dx + ccdy) - cb * dx * dy;
              if (power > 0) continue;
              let gauss: number;
              if (tableExp) {
                const f = -power * EXP_SCALE;
                if (f >= EXP_STEPS) continue;
                const e = f | 0;
                gauss = EXP_TABLE[e] + (f - e) * EXP_SLOPE[e];
              } else gauss = Math.exp(power);
              let alpha = op * gauss;
              if (alpha < minAlpha) continue;
              if (alpha > MAX_ALPHA) alpha = MAX_ALPHA;
              const nextT = t * (1 - alpha);
              if (nextT < MIN_TRANSMITTANCE) {
                stopped[q] = 1;
                rowLive[y - y0]--;
                done++;
                continue;
              }
              const w = alpha * t;
              const a4 = 4 * q;
              acc[a4] += w * cR;
              acc[a4 + 1] += w * cG;
              acc[a4 + 2] += w * cB;
              if (!median) acc[a4 + 3] += w * cZ;
              else if (t >= 0.5 && nextT < 0.5) acc[a4 + 3] = cZ;
              T[q] = nextT;
              last[q] = k;
              composited++;
              if (nextT < stopT) {
                stopped[q] = 1;
                rowLive[y - y0]--;
                done++;
              }
            }
          }
        }
        for (let y = y0; y < yEnd; y++) {
          for (let x = x0; x < xEnd; x++) {
            const q = (y - y0) * TILE_SIZE + (x - x0);
            const p = y * width + x;
            const t = T[q];
            if (forBackward) {
              this.finalT[p] = t;
              this.lastEntry[p] = last[q];
            }
            rgb[3 * p] = acc[4 * q] + t * bgR;
            rgb[3 * p + 1] = acc[4 * q + 1] + t * bgG;
            rgb[3 * p + 2] = acc[4 * q + 2] + t * bgB;
            depthOut[p] = acc[4 * q + 3];
            opacityOut[p] = 1 - t;
          }
        }
      }
    }
    // Returned, not stored here: V8 compiles this loop on-stack before the first call ends, and a store it
    // had never seen at the end deoptimised every call, so each frame restarted unoptimised.
    return composited;
  }

  /** composite's band render with the SIMD kernel, a call per tile (the entries are already in its memory). */
  private compositeSimd(kernel: WasmSplatCompositor, cam: ProjectionCamera, band: RasterBand): number {
    const { width, height } = cam;
    const { rgb, depth: depthOut, opacity: opacityOut } = checkedBandBuffers(cam, band);
    if (band.depthMode !== 'median') throw new RangeError('gaussian rasterizer: the SIMD compositor writes median depth only');
    const start = this.tileStart;
    const [bgR, bgG, bgB] = this.background;
    // The kernel stops a lane under 1e-4 as well, without compositing: a lower stop would change nothing.
    const stopT = Math.max(MIN_TRANSMITTANCE, band.stopTransmittance);
    const minAlpha = Math.max(MIN_ALPHA, band.minAlpha ?? MIN_ALPHA);
    const state = kernel.state;
    let composited = 0;
    const rowStride = band.tileRowStride,
      rowBlock = band.tileRowBlock ?? 1;
    for (let ty = firstBandRow(0, band.tileRowOffset, rowStride, rowBlock); ty < this.tilesY; ty = nextBandRow(ty, rowStride, rowBlock)) {
      for (let tx = 0; tx < this.tilesX; tx++) {
        const tile = ty * this.tilesX + tx;
        const x0 = tx * TILE_SIZE,
          y0 = ty * TILE_SIZE;
        const cols = Math.min(width, x0 + TILE_SIZE) - x0,
          rows = Math.min(height, y0 + TILE_SIZE) - y0;
        const first = start[tile],
          last = start[tile + 1];
        if (first === last) {
          for (let y = y0; y < y0 + rows; y++) {
            for (let p = y * width + x0, pEnd = p + cols; p < pEnd; p++) {
              rgb[3 * p] = bgR;
              rgb[3 * p + 1] = bgG;
              rgb[3 * p + 2] = bgB;
              depthOut[p] = 0;
              opacityOut[p] = 0;
            }
          }
          continue;
        }
        composited += kernel.composite(first, last, x0, y0, cols, rows, stopT, minAlpha);
        for (let r = 0; r < rows; r++) {
          for (let c = 0; c < cols; c++) {
            // State vector (row, half), lane c % 4: T, r, g, b, depth at 0, 4, 8, 12, 16.
            const s = (2 * r + (c >> 2)) * SPLAT_STATE_FLOATS + (c & 3);
            const p = (y0 + r) * width + x0 + c;
            const t = state[s];
            rgb[3 * p] = state[s + 4] + t * bgR;
            rgb[3 * p + 1] = state[s + 8] + t * bgG;
            rgb[3 * p + 2] = state[s + 12] + t * bgB;
            depthOut[p] = state[s + 16];
            opacityOut[p] = 1 - t;
          }
        }
      }
    }
    return composited;
  }
  /**
   * Back-propagates d loss / d rgb (per pixel, the layout of the frame) of the last forward pass into `grads`
   * (the cloud's parameter layout, accumulated). `viewGradNorm` gains the densification statistic,
   * `pixelCounts` the number of pixels each Gaussian was composited into (a federated row weight).
   */
  backward(dRgb: Float32Array, grads: Float32Array, viewGradNorm?: Float32Array, pixelCounts?: Float32Array): void {
    const cam = this.cam,
      cloud = this.cloud;
    if (!cam || !cloud) throw new Error('gaussian rasterizer: backward before forward');
    const { width, height } = cam;
    const d = this.dProjected;
    d.reset(cloud.count);
    const list = this.tileList,
      data = this.tileData,
      start = this.tileStart;
    const [bgR, bgG, bgB] = this.background;
    const pixels = TILE_SIZE * TILE_SIZE;
    // Per pixel of the tile: transmittance in front of the entry being visited, colour composited behind it,
    // the alpha and colour of the entry visited before (the one behind), its loss gradient, the background term.
    const T = new Float64Array(pixels),
      acc = new Float64Array(3 * pixels),
      behind = new Float64Array(4 * pixels),
      grad = new Float64Array(3 * pixels),
      bgTerm = new Float64Array(pixels),
      last = new Int32Array(pixels);
    for (let ty = 0; ty < this.tilesY; ty++) {
      for (let tx = 0; tx < this.tilesX; tx++) {
        const tile = ty * this.tilesX + tx;
        const x0 = tx * TILE_SIZE,
          y0 = ty * TILE_SIZE;
        const xEnd = Math.min(width, x0 + TILE_SIZE),
          yEnd = Math.min(height, y0 + TILE_SIZE);
        let lastOfTile = -1;
        for (let y = y0; y < yEnd; y++) {
          for (let x = x0; x < xEnd; x++) {
            const q = (y - y0) * TILE_SIZE + (x - x0);
            const p = y * width + x;
            T[q] = this.finalT[p];
            last[q] = this.lastEntry[p];
            grad[3 * q] = dRgb[3 * p];
            grad[3 * q + 1] = dRgb[3 * p + 1];
            grad[3 * q + 2] = dRgb[3 * p + 2];
            bgTerm[q] = this.finalT[p] * (bgR * dRgb[3 * p] + bgG * dRgb[3 * p + 1] + bgB * dRgb[3 * p + 2]);
            if (last[q] > lastOfTile) lastOfTile = last[q];
          }
        }
        acc.fill(0);
        behind.fill(0);
        for (let k = lastOfTile, first = start[tile]; k >= first; k--) {
          const at = PACKED * k;
          const u = data[at],
            v = data[at + 1],
            rad = data[at + 10];
          const xa = Math.max(x0, Math.ceil(u - rad - 0.5)),
            xb = Math.min(xEnd - 1, Math.floor(u + rad - 0.5));
          const ya = Math.max(y0, Math.ceil(v - rad - 0.5)),
            yb = Math.min(yEnd - 1, Math.floor(v + rad - 0.5));
          if (xa > xb || ya > yb) continue;
          const ca = data[at + 2],
            cb = data[at + 3],
            cc = data[at + 4],
            op = data[at + 5],
            cR = data[at + 6],
            cG = data[at + 7],
            cB = data[at + 8];
          const cut = -2 * Math.log(MIN_ALPHA / op);
          let dR = 0,
            dGr = 0,
            dB = 0,
            dOp = 0,
            du = 0,
            dv = 0,
            dA = 0,
            dBc = 0,
            dC = 0,
            touched = 0;
          for (let y = ya; y <= yb; y++) {
            const dy = v - (y + 0.5);
            const span = rowSpan(u, dy, ca, cb, cc, cut, xa, xb);
            if (span === null) continue;
            for (let x = span[0], xLast = span[1]; x <= xLast; x++) {
              const q = (y - y0) * TILE_SIZE + (x - x0);
              if (k > last[q]) continue;
              const dx = u - (x + 0.5);
              const power = -0.5 * (ca * dx * dx + cc * dy * dy) - cb * dx * dy;
              if (power > 0) continue;
              const G = Math.exp(power);
              const raw = op * G;
              if (raw < MIN_ALPHA) continue;
              touched++;
              const capped = raw > MAX_ALPHA;
              const alpha = capped ? MAX_ALPHA : raw;
              const t = T[q] / (1 - alpha);
              T[q] = t;
              const w = alpha * t;
              const gR = grad[3 * q],
                gG = grad[3 * q + 1],
                gB = grad[3 * q + 2];
              dR += w * gR;
              dGr += w * gG;
              dB += w * gB;
              const la = behind[4 * q];
              const aR = la * behind[4 * q + 1] + (1 - la) * acc[3 * q],
                aG = la * behind[4 * q + 2] + (1 - la) * acc[3 * q + 1],
                aB = la * behind[4 * q + 3] + (1 - la) * acc[3 * q + 2];
              acc[3 * q] = aR;
              acc[3 * q + 1] = aG;
              acc[3 * q + 2] = aB;
              behind[4 * q] = alpha;
              behind[4 * q + 1] = cR;
              behind[4 * q + 2] = cG;
              behind[4 * q + 3] = cB;
              if (capped) continue;
              const dAlpha = t * ((cR - aR) * gR + (cG - aG) * gG + (cB - aB) * gB) - bgTerm[q] / (1 - alpha);
              dOp += G * dAlpha;
              const dGauss = op * dAlpha * G;
              du += dGauss * (-ca * dx - cb * dy);
              dv += dGauss * (-cc * dy - cb * dx);
              dA += -0.5 * dGauss * dx * dx;
              dBc += -dGauss * dx * dy;
              dC += -0.5 * dGauss * dy * dy;
            }
          }
          const i = list[k];
          if (pixelCounts) pixelCounts[i] += touched;
          d.color[3 * i] += dR;
          d.color[3 * i + 1] += dGr;
          d.color[3 * i + 2] += dB;
          d.opacity[i] += dOp;
          d.mean2d[2 * i] += du;
          d.mean2d[2 * i + 1] += dv;
          d.conic[3 * i] += dA;
          d.conic[3 * i + 1] += dBc;
          d.conic[3 * i + 2] += dC;
        }
      }
    }
    projectGaussiansBackward(cloud, cam, this.projected, d, grads, viewGradNorm);
  }
}

/** The band's output buffers, checked to hold a whole `cam`-sized frame (both compositors write into them). */
function checkedBandBuffers(cam: ProjectionCamera, band: RasterBand): Pick<RasterBand, 'rgb' | 'depth' | 'opacity'> {
  const n = cam.width * cam.height;
  if (band.rgb.length < 3 * n || band.depth.length < n || band.opacity.length < n) {
    throw new RangeError(`gaussian rasterizer: a ${cam.width}x${cam.height} frame needs ${3 * n} colours and ${n} depths and opacities`);
  }
  return band;
}
