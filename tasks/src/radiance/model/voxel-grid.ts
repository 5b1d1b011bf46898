// The radiance field's parameters: a density grid and a spherical-harmonics colour grid over the same
// points. As federated tensors both have voxels on the first axis (`density` [V, 1], `color_sh` [V, C]) so a
// device's update is a set of sparse rows.

import { ConfigError, dense, InvalidUpdateError, type ModelParams } from '@strata/shared';
import { gridPointCount, type GridGeometry } from './grid-geometry.js';
import { shBasisSize } from './spherical-harmonics.js';

export const DENSITY_TENSOR = 'density';
export const COLOR_TENSOR = 'color_sh';

export class VoxelGrid {
  /** Floats per voxel in `sh`: 3 colour channels x basis size, channel-major (r's coefficients first). */
  readonly channels: number;
  readonly basisSize: number;

  constructor(
    readonly geometry: GridGeometry,
    readonly shDegree: number,
    /** Raw (pre-activation) density per grid point. */
    readonly density: Float32Array,
    /** Raw (pre-sigmoid) SH coefficients, `channels` per grid point. */
    readonly sh: Float32Array,
  ) {
    this.basisSize = shBasisSize(shDegree);
    this.channels = 3 * this.basisSize;
    const v = gridPointCount(geometry);
    if (density.length !== v || sh.length !== v * this.channels) {
      throw new ConfigError(
        `voxel grid ${geometry.dims.join('x')} (SH degree ${shDegree}) needs ${v} densities and ${v * this.channels} ` +
          `SH values, got ${density.length} and ${sh.length}`,
      );
    }
  }

  static create(geometry: GridGeometry, shDegree: number): VoxelGrid {
    const v = gridPointCount(geometry);
    return new VoxelGrid(geometry, shDegree, new Float32Array(v), new Float32Array(v * 3 * shBasisSize(shDegree)));
  }

  get pointCount(): number {
    return this.density.length;
  }

  /** The grid as federated tensors. The tensors view this grid's arrays (no copy). */
  toModelParams(): ModelParams {
    const v = this.pointCount;
    return new Map([
      [DENSITY_TENSOR, dense([v, 1], this.density)],
      [COLOR_TENSOR, dense([v, this.channels], this.sh)],
    ]);
  }

  /** A grid viewing `params`' arrays (no copy), checked against the expected geometry and degree. */
  static fromModelParams(params: ModelParams, geometry: GridGeometry, shDegree: number): VoxelGrid {
    const density = params.get(DENSITY_TENSOR);
    const sh = params.get(COLOR_TENSOR);
    const v = gridPointCount(geometry);
    const c = 3 * shBasisSize(shDegree);
    if (!density || !sh) {
      throw new InvalidUpdateError(
        'unknown_tensor',
        `radiance model needs tensors '${DENSITY_TENSOR}' and '${COLOR_TENSOR}', got [${[...params.keys()].join(', ')}]`,
      );
    }
    if (density.shape[0] !== v || density.shape[1] !== 1 || sh.shape[0] !== v || sh.shape[1] !== c) {
      throw new InvalidUpdateError(
        'shape',
        `radiance model shapes density [${density.shape.join(', ')}], color_sh [${sh.shape.join(', ')}] do not match ` +
          `grid ${geometry.dims.join('x')} with SH degree ${shDegree} ([${v}, 1], [${v}, ${c}])`,
      );
    }
    return new VoxelGrid(geometry, shDegree, density.values, sh.values);
  }

  clone(): VoxelGrid {
    return new VoxelGrid(this.geometry, this.shDegree, this.density.slice(), this.sh.slice());
  }

  /**
   * This field resampled onto another geometry (a finer grid, a tighter box) by trilinear interpolation of
   * the raw values; points outside this grid's box get `outsideDensity` and zero colour.
   */
  resample(target: GridGeometry, outsideDensity: number): VoxelGrid {
    const out = VoxelGrid.create(target, this.shDegree);
    const [nx, ny, nz] = this.geometry.dims;
    const [tx, ty, tz] = target.dims;
    const c = this.channels;
    const src = this.geometry.bbox;
    const scale = [0, 1, 2].map((a) => (this.geometry.dims[a] - 1) / (src.max[a] - src.min[a]));
    const tstep = [0, 1, 2].map((a) => (target.bbox.max[a] - target.bbox.min[a]) / (target.dims[a] - 1));
    const grid = (a: number, i: number): number => (target.bbox.min[a] + i * tstep[a] - src.min[a]) * scale[a];
    let o = 0;
    for (let i = 0; i < tx; i++) {
      const gx = grid(0, i);
      for (let j = 0; j < ty; j++) {
        const gy = grid(1, j);
        for (let k = 0; k < tz; k++, o++) {
          const gz = grid(2, k);
          const eps = 1e-6;
          if (gx < -eps || gy < -eps || gz < -eps || gx > nx - 1 + eps || gy > ny - 1 + eps || gz > nz - 1 + eps) {
            out.density[o] = outsideDensity;
            continue;
          }
          const ix = Math.min(Math.max(Math.floor(gx), 0), nx - 2);
          const iy = Math.min(Math.max(Math.floor(gy), 0), ny - 2);
          const iz = Math.min(Math.max(Math.floor(gz), 0), nz - 2);
          const fx = Math.min(Math.max(gx - ix, 0), 1);
          const fy = Math.min(Math.max(gy - iy, 0), 1);
          const fz = Math.min(Math.max(gz - iz, 0), 1);
          let d = 0;
          for (let corner = 0; corner < 8; corner++) {
            const cx = corner >> 2,
              cy = (corner >> 1) & 1,
              cz = corner & 1;
            const w = (cx ? fx : 1 - fx) * (cy ? fy : 1 - fy) * (cz ? fz : 1 - fz);
            if (w === 0) continue;
            const v = ((ix + cx) * ny + iy + cy) * nz + iz + cz;
            d += w * this.density[v];
            for (let ch = 0; ch < c; ch++) out.sh[o * c + ch] += w * this.sh[v * c + ch];
          }
          out.density[o] = d;
        }
      }
    }
    return out;
  }
}
