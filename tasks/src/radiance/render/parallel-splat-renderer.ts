// Renders frames of a Gaussian cloud fast enough to stream: each worker thread holds a copy of the cloud
// (loaded once per model) and renders an interleaved band of blocks of 8x8 tile rows (worker w takes blocks
// w, w + n, ...: each gets both the busy centre and the empty rim; bandBlock says how many rows a block). The
// projection is done once per frame: worker w projects the w-th nth of the cloud into a projection all
// workers share (SharedArrayBuffers), and once every part is there (an Atomics barrier) each bins and
// composites its own rows from the whole. Quality: full is the reference's compositing; fast is
// DEFAULT_FAST_SPLAT (gaussian-view.ts); draft is fast at half the width and height, upsampled. Depth is the
// median depth along the unit ray (see gaussian-view.ts).

import { availableParallelism } from 'node:os';
import { GAUSSIAN_STRIDE, type GaussianCloud } from '../model/gaussian-cloud.js';
import type { Vec3 } from '../model/grid-geometry.js';
import type { Camera } from '../data/camera.js';
import { ParallelFrameRenderer, type SharedFrame } from './parallel-frame-renderer.js';
import { DEFAULT_FAST_SPLAT, FULL_SPLAT, validateSplatSettings, type SplatRenderSettings } from './gaussian-view.js';
import { ProjectedGaussians } from '../kernels/gaussian-projection.js';
import { TILE_SIZE } from '../kernels/gaussian-rasterizer.js';
import type { SplatWorkerBand, SplatWorkerLoad } from './splat-render-worker.js';

/** Depth is the median depth along the unit ray (0: none). */
export class ParallelSplatRenderer extends ParallelFrameRenderer {
  constructor(
    readonly cloud: GaussianCloud,
    readonly background: Vec3,
    readonly threads = Math.max(1, availableParallelism()),
    readonly fast: SplatRenderSettings = DEFAULT_FAST_SPLAT,
  ) {
    super(
      new URL('./splat-render-worker.js', import.meta.url),
      threads,
      splatLoad(cloud, background, fast),
      'parallel splat renderer',
      true,
    );
  }

  protected async renderParts(camera: Camera, quality: 'full' | 'fast', frame: SharedFrame): Promise<void> {
    const settings = quality === 'full' ? FULL_SPLAT : this.fast;
    const parts = this.workers.length;
    const arrived = new Int32Array(new SharedArrayBuffer(4));
    const { count } = this.cloud;
    await Promise.all(
      this.workers.map((worker, w) => {
        const projection = { first: Math.floor((w * count) / parts), end: Math.floor(((w + 1) * count) / parts), arrived, parts };
        const job: SplatWorkerBand = {
          type: 'band',
          camera,
          band: { ...settings, tileRowOffset: w, tileRowStride: parts, tileRowBlock: bandBlock(camera.height, parts) },
          projection,
          ...frame,
        };
        return this.request(worker, job);
      }),
    );
  }
}

/**
 * Tile rows per block of a worker's band: up to 4 (32 pixel rows), so that a Gaussian's square (~4 tile rows
 * tall on lego 400x400) lies in one worker's band more often than with single interleaved rows (each worker
 * then sorts, bins and writes the record of fewer Gaussians), but at least 3 blocks per worker, so that each
 * still gets some of the busy centre and of the empty rim.
 */
export function bandBlock(height: number, workers: number): number {
  return Math.max(1, Math.min(BAND_BLOCK_ROWS, Math.floor(Math.ceil(height / TILE_SIZE) / (3 * workers))));
}
const BAND_BLOCK_ROWS = 4;

/** What each worker loads: the cloud's rows in use (after checking the fast settings). */
function splatLoad(cloud: GaussianCloud, background: Vec3, fast: SplatRenderSettings): SplatWorkerLoad {
  validateSplatSettings(fast);
  return {
    type: 'load',
    count: cloud.count,
    // A copy of the rows in use (cloning a view would copy its whole buffer to every worker).
    params: cloud.params.slice(0, cloud.count * GAUSSIAN_STRIDE),
    shDegree: cloud.shDegree,
    background,
    projected: ProjectedGaussians.shared(cloud.count),
  };
}
