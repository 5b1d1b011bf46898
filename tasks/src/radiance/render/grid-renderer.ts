// Renders camera views from a voxel-grid radiance field: colour, expected depth and opacity per pixel. The
// same code serves a device rendering locally and an edge rendering for its devices (remote rendering):
// it needs only the model and a camera.

import type { VoxelGrid } from '../model/voxel-grid.js';
import type { MarchSettings } from '../model/march-settings.js';
import { RayMarchKernel } from '../kernels/ray-march-kernel.js';
import { writeCameraRays, type Camera } from '../data/camera.js';
import { computeOccupancy } from '../kernels/occupancy.js';

export interface RenderedView {
  readonly width: number;
  readonly height: number;
  /** rgb in [0, 1] per pixel, row by row. */
  readonly rgb: Float32Array;
  /** Expected termination distance divided by opacity (0 where nothing was hit). */
  readonly depth: Float32Array;
  readonly opacity: Float32Array;
  /** The colour as 8-bit rgb (unitToByte of `rgb`), where the renderer wrote it too (ViewFrame.rgb8). */
  readonly rgb8?: Uint8Array;
}

export class GridRenderer {
  private readonly kernel: RayMarchKernel;

  constructor(
    readonly grid: VoxelGrid,
    readonly settings: MarchSettings,
  ) {
    this.kernel = new RayMarchKernel(grid, settings);
    this.kernel.occupancy = computeOccupancy(grid, settings).occupancy;
  }

  render(camera: Camera): RenderedView {
    const n = camera.width * camera.height;
    const origins = new Float32Array(3 * n),
      dirs = new Float32Array(3 * n);
    writeCameraRays(camera, origins, dirs);
    const rgb = new Float32Array(3 * n),
      depth = new Float32Array(n),
      opacity = new Float32Array(n);
    this.kernel.renderRays(origins, dirs, 0, n, rgb, depth, opacity);
    for (let i = 0; i < n; i++) depth[i] = opacity[i] > 1e-6 ? depth[i] / opacity[i] : 0;
    return { width: camera.width, height: camera.height, rgb, depth, opacity };
  }
}

/** A depth map as a grey image: nearest light grey, farthest dark, empty pixels (opacity < 0.5) white. */
export function depthToRgb(view: RenderedView, near: number, far: number): Float32Array {
  const n = view.width * view.height;
  let lo = far,
    hi = near;
  for (let i = 0; i < n; i++) {
    if (view.opacity[i] < 0.5) continue;
    lo = Math.min(lo, view.depth[i]);
    hi = Math.max(hi, view.depth[i]);
  }
  const out = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) {
    const g = view.opacity[i] < 0.5 || hi <= lo ? 1 : 0.9 - (0.85 * (view.depth[i] - lo)) / (hi - lo);
    out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = g;
  }
  return out;
}
