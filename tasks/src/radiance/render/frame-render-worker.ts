// Worker-thread entry for ParallelGridRenderer: holds one ray-march kernel over the grid it was loaded with
// and renders the pixel rows it is asked for into the shared output buffers.

import { parentPort } from 'node:worker_threads';
import { VoxelGrid } from '../model/voxel-grid.js';
import type { MarchSettings } from '../model/march-settings.js';
import type { GridGeometry } from '../model/grid-geometry.js';
import { RayMarchKernel } from '../kernels/ray-march-kernel.js';
import type { OccupancyGrid } from '../kernels/occupancy.js';
import { writePixelRay, type Camera } from '../data/camera.js';

export interface FrameWorkerLoad {
  readonly type: 'load';
  readonly geometry: GridGeometry;
  readonly shDegree: number;
  readonly density: Float32Array;
  readonly sh: Float32Array;
  readonly occupancy: OccupancyGrid;
  /** One kernel per entry: the full-quality settings and the fast ones. */
  readonly settings: readonly MarchSettings[];
}

export interface FrameWorkerRows {
  readonly type: 'rows';
  readonly camera: Camera;
  readonly settingsIndex: number;
  readonly fromRow: number;
  readonly toRow: number;
  /** Shared buffers of the whole frame: rgb (3 per pixel), depth and opacity (1 per pixel). */
  readonly rgb: Float32Array;
  readonly depth: Float32Array;
  readonly opacity: Float32Array;
}

let kernels: RayMarchKernel[] = [];
const origin = new Float32Array(3),
  dir = new Float32Array(3);

parentPort?.on('message', (msg: FrameWorkerLoad | FrameWorkerRows) => {
  try {
    if (msg.type === 'load') {
      const grid = new VoxelGrid(msg.geometry, msg.shDegree, msg.density, msg.sh);
      kernels = msg.settings.map((s) => {
        const kernel = new RayMarchKernel(grid, s);
        kernel.occupancy = msg.occupancy;
        return kernel;
      });
      parentPort?.postMessage({ ok: true });
      return;
    }
    const kernel = kernels[msg.settingsIndex];
    if (!kernel) throw new Error(`rows before load (settings ${msg.settingsIndex})`);
    renderRows(kernel, msg);
    parentPort?.postMessage({ ok: true });
  } catch (err) {
    parentPort?.postMessage({ ok: false, message: err instanceof Error ? `${err.message}\n${err.stack ?? ''}` : String(err) });
  }
});

/** Renders rows [fromRow, toRow) of the camera's image into the frame buffers (depth: per unit opacity). */
export function renderRows(kernel: RayMarchKernel, job: Omit<FrameWorkerRows, 'type' | 'settingsIndex'>): void {
  const { camera, rgb, depth, opacity } = job;
  const rowRgb = new Float32Array(3),
    rowDepth = new Float32Array(1),
    rowOpacity = new Float32Array(1);
  for (let y = job.fromRow; y < job.toRow; y++) {
    for (let x = 0; x < camera.width; x++) {
      writePixelRay(camera, x + 0.5, y + 0.5, origin, dir, 0);
      kernel.renderRays(origin, dir, 0, 1, rowRgb, rowDepth, rowOpacity);
      const p = y * camera.width + x;
      rgb[3 * p] = rowRgb[0];
      rgb[3 * p + 1] = rowRgb[1];
      rgb[3 * p + 2] = rowRgb[2];
      opacity[p] = rowOpacity[0];
      depth[p] = rowOpacity[0] > 1e-6 ? rowDepth[0] / rowOpacity[0] : 0;
    }
  }
}
