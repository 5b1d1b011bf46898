// Renders frames of a voxel-grid radiance field fast enough to stream: the image's rows are split in bands
// across worker threads (each holding its own copy of the grid, loaded once per model), and a frame can be
// marched at "fast" quality: a longer sample step and an earlier termination than training used (the
// empty-space skipping and early ray termination of the kernel apply in both). Full quality is the grid's
// own march settings, what `GridRenderer` renders; the PSNR between the two is what the speed costs.

import { availableParallelism } from 'node:os';
import type { VoxelGrid } from '../model/voxel-grid.js';
import type { MarchSettings } from '../model/march-settings.js';
import { DEFAULT_FAST_MARCH, fastMarchSettings, type FastMarchOptions } from './fast-march.js';
import { computeOccupancy } from '../kernels/occupancy.js';
import type { Camera } from '../data/camera.js';
import { ParallelFrameRenderer, type SharedFrame } from './parallel-frame-renderer.js';
import type { FrameWorkerLoad, FrameWorkerRows } from './frame-render-worker.js';

/** Depth is the expected ray distance per unit opacity (0: empty). */
export class ParallelGridRenderer extends ParallelFrameRenderer {
  constructor(
    readonly grid: VoxelGrid,
    readonly settings: MarchSettings,
    readonly threads = Math.max(1, availableParallelism()),
    readonly fast: FastMarchOptions = DEFAULT_FAST_MARCH,
  ) {
    super(new URL('./frame-render-worker.js', import.meta.url), threads, gridLoad(grid, settings, fast), 'parallel renderer');
  }

  protected async renderParts(camera: Camera, quality: 'full' | 'fast', frame: SharedFrame): Promise<void> {
    // Bands interleave so that each worker gets both the busy centre and the empty rim of the image.
    const bands = Math.min(camera.height, this.workers.length * 4);
    const rowsPer = Math.ceil(camera.height / bands);
    const jobs: Promise<void>[] = [];
    const queues = this.workers.map(() => Promise.resolve());
    for (let b = 0; b < bands; b++) {
      const fromRow = b * rowsPer;
      const toRow = Math.min(camera.height, fromRow + rowsPer);
      if (fromRow >= toRow) break;
      const w = b % this.workers.length;
      const job: FrameWorkerRows = { type: 'rows', camera, settingsIndex: quality === 'full' ? 0 : 1, fromRow, toRow, ...frame };
      queues[w] = queues[w].then(() => this.request(this.workers[w], job));
      jobs.push(queues[w]);
    }
    await Promise.all(jobs);
  }
}

/** What each worker loads: the grid, its occupancy and both march settings. */
function gridLoad(grid: VoxelGrid, settings: MarchSettings, fast: FastMarchOptions): FrameWorkerLoad {
  return {
    type: 'load',
    geometry: grid.geometry,
    shDegree: grid.shDegree,
    density: grid.density,
    sh: grid.sh,
    occupancy: computeOccupancy(grid, settings).occupancy,
    settings: [settings, fastMarchSettings(settings, fast)],
  };
}
