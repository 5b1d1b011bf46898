// Renders camera views of a Gaussian cloud (colour, expected depth, opacity per pixel), the counterpart of
// GridRenderer for the voxel grid, so evaluation, reports and view serving take either.

import type { Camera } from '../data/camera.js';
import type { Vec3 } from '../model/grid-geometry.js';
import type { GaussianCloud } from '../model/gaussian-cloud.js';
import { GaussianRasterizer } from '../kernels/gaussian-rasterizer.js';
import type { RenderedView } from './grid-renderer.js';

export class GaussianRenderer {
  private readonly rasterizer = new GaussianRasterizer();

  constructor(
    readonly cloud: GaussianCloud,
    readonly background: Vec3,
  ) {}

  render(camera: Camera): RenderedView {
    const frame = this.rasterizer.forward(this.cloud, camera, this.background);
    const { depth, opacity } = frame;
    for (let i = 0; i < depth.length; i++) depth[i] = opacity[i] > 1e-6 ? depth[i] / opacity[i] : 0;
    return frame;
  }
}
