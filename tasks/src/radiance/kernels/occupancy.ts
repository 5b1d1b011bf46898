// The occupancy grid for empty-space skipping: a byte per grid cell (indexed by its lowest corner) that is
// 1 when any of the cell's 8 corners is dense enough to matter, and a byte per block of 8^3 cells that is 1
// when any of its cells is. Rays skip unoccupied cells without interpolating anything, and jump across
// empty blocks in one step, which is most of every ray in an object-centred scene.

import type { VoxelGrid } from '../model/voxel-grid.js';
import type { MarchSettings } from '../model/march-settings.js';
import { gridPointCount, meanVoxelSize, type GridGeometry, type Vec3 } from '../model/grid-geometry.js';

/** log2 of the block edge in cells. */
export const OCCUPANCY_BLOCK_SHIFT = 3;

/** Plain typed arrays (no class) so that worker threads receive it through structured clone. */
export interface OccupancyGrid {
  /** One per grid point; the cell whose lowest corner is that point (the last point of an axis has none). */
  readonly cells: Uint8Array;
  /** One per block of cells, x-major like the grid. */
  readonly blocks: Uint8Array;
}

/** Blocks along each axis. */
export function occupancyBlockDims(geometry: GridGeometry): Vec3 {
  const b = (n: number): number => Math.max(1, Math.ceil((n - 1) / (1 << OCCUPANCY_BLOCK_SHIFT)));
  return [b(geometry.dims[0]), b(geometry.dims[1]), b(geometry.dims[2])];
}

/** An occupancy grid with every cell set to `value` (shared memory for worker threads when asked). */
export function createOccupancy(geometry: GridGeometry, value: 0 | 1, shared = false): OccupancyGrid {
  const [bx, by, bz] = occupancyBlockDims(geometry);
  const bytes = (n: number): Uint8Array => (shared ? new Uint8Array(new SharedArrayBuffer(n)) : new Uint8Array(n));
  const occ = { cells: bytes(gridPointCount(geometry)), blocks: bytes(bx * by * bz) };
  occ.cells.fill(value);
  occ.blocks.fill(value);
  return occ;
}

export function copyOccupancy(from: OccupancyGrid, to: OccupancyGrid): void {
  to.cells.set(from.cells);
  to.blocks.set(from.blocks);
}

/** The raw density above which a sample's alpha (at the kernel's step length) exceeds `alphaThreshold`. */
export function rawDensityForAlpha(settings: MarchSettings, interval: number, alphaThreshold: number): number {
  const softplus = -Math.log(1 - alphaThreshold) / interval;
  return Math.log(Math.expm1(softplus)) - settings.densityShift;
}

/** The alpha of a step of `interval` through raw density `raw` (rawDensityForAlpha's inverse). */
export function alphaOfRawDensity(settings: MarchSettings, interval: number, raw: number): number {
  const x = raw + settings.densityShift;
  const softplus = x > 30 ? x : Math.log1p(Math.exp(x));
  return 1 - Math.exp(-softplus * interval);
}

/**
 * Marks the cells with a corner whose alpha exceeds `settings.occupancyAlpha` (and their blocks), writing
 * into `out` (allocated when absent) and returning it with the fraction of cells occupied.
 */
export function computeOccupancy(
  grid: VoxelGrid,
  settings: MarchSettings,
  out?: OccupancyGrid,
): { occupancy: OccupancyGrid; fraction: number } {
  const [nx, ny, nz] = grid.geometry.dims;
  const result = out ?? createOccupancy(grid.geometry, 0);
  const occ = result.cells;
  occ.fill(0);
  const interval = (settings.stepRatio * meanVoxelSize(grid.geometry)) / settings.densityUnit;
  const threshold = rawDensityForAlpha(settings, interval, settings.occupancyAlpha);
  const density = grid.density;
  const sx = ny * nz;
  for (let i = 0; i < nx; i++) {
    for (let j = 0; j < ny; j++) {
      let v = (i * ny + j) * nz;
      for (let k = 0; k < nz; k++, v++) {
        if (!(density[v] > threshold)) continue;
        // The point is a corner of the up-to-8 cells whose lowest corner is at (i-1..i, j-1..j, k-1..k).
        for (let a = i > 0 ? -1 : 0; a <= 0 && i + a < nx - 1; a++) {
          for (let b = j > 0 ? -1 : 0; b <= 0 && j + b < ny - 1; b++) {
            const base = v + a * sx + b * nz;
            if (k > 0) occ[base - 1] = 1;
            if (k < nz - 1) occ[base] = 1;
          }
        }
      }
    }
  }
  const blocks = result.blocks;
  blocks.fill(0);
  const [, by, bz] = occupancyBlockDims(grid.geometry);
  const shift = OCCUPANCY_BLOCK_SHIFT;
  let count = 0;
  for (let i = 0; i < nx - 1; i++) {
    for (let j = 0; j < ny - 1; j++) {
      const row = (i * ny + j) * nz;
      const blockRow = ((i >> shift) * by + (j >> shift)) * bz;
      for (let k = 0; k < nz - 1; k++) {
        if (occ[row + k] === 0) continue;
        count++;
        blocks[blockRow + (k >> shift)] = 1;
      }
    }
  }
  return { occupancy: result, fraction: count / ((nx - 1) * (ny - 1) * (nz - 1)) };
}
