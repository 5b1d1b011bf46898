// The occupancy grid for empty-space skipping: a byte per grid cell (indexed by its lowest corner) that is
// 1 when any of the cell's 8 corners is dense enough to matter. Rays skip unoccupied cells without
// interpolating anything, which is most of every ray in an object-centred scene.

import type { VoxelGrid } from '../model/voxel-grid.js';
import type { MarchSettings } from '../model/march-settings.js';
import { meanVoxelSize } from '../model/grid-geometry.js';

/** The raw density above which a sample's alpha (at the kernel's step length) exceeds `alphaThreshold`. */
export function rawDensityForAlpha(settings: MarchSettings, interval: number, alphaThreshold: number): number {
  const softplus = -Math.log(1 - alphaThreshold) / interval;
  return Math.log(Math.expm1(softplus)) - settings.densityShift;
}

/**
 * Marks the cells with a corner whose alpha exceeds `alphaThreshold`, writing into `out` (allocated when
 * absent) and returning it with the fraction of cells occupied.
 */
export function computeOccupancy(
  grid: VoxelGrid,
  settings: MarchSettings,
  alphaThreshold: number,
  out?: Uint8Array,
): { occupancy: Uint8Array; fraction: number } {
  const [nx, ny, nz] = grid.geometry.dims;
  const occ = out ?? new Uint8Array(grid.pointCount);
  occ.fill(0);
  const interval = (settings.stepRatio * meanVoxelSize(grid.geometry)) / settings.densityUnit;
  const threshold = rawDensityForAlpha(settings, interval, alphaThreshold);
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
  let count = 0;
  for (let i = 0; i < nx - 1; i++) {
    for (let j = 0; j < ny - 1; j++) {
      const row = (i * ny + j) * nz;
      for (let k = 0; k < nz - 1; k++) count += occ[row + k];
    }
  }
  return { occupancy: occ, fraction: count / ((nx - 1) * (ny - 1) * (nz - 1)) };
}
