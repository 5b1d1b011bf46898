// Renders frames of a voxel-grid radiance field fast enough to stream: the image's rows are split in bands
// across worker threads (each holding its own copy of the grid, loaded once per model), and a frame can be
// marched at "fast" quality: a longer sample step and an earlier termination than training used (the
// empty-space skipping and early ray termination of the kernel apply in both). Full quality is the grid's
// own march settings, what `GridRenderer` renders; the PSNR between the two is what the speed costs.

import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { ConfigError, StrataError } from '@strata/shared';
import type { VoxelGrid } from '../model/voxel-grid.js';
import type { MarchSettings } from '../model/march-settings.js';
import { DEFAULT_FAST_MARCH, fastMarchSettings, upsampleView, type FastMarchOptions } from './fast-march.js';
import { computeOccupancy } from '../kernels/occupancy.js';
import { workerRequest } from '../worker-request.js';
import { scaleCamera, type Camera } from '../data/camera.js';
import type { RenderedView } from './grid-renderer.js';
import type { FrameWorkerLoad, FrameWorkerRows } from './frame-render-worker.js';

/** full: the grid's own march; fast: the sparser march; draft: the fast march at half the width and height, upsampled. */
export type RenderQuality = 'full' | 'fast' | 'draft';

export class ParallelGridRenderer {
  private readonly workers: Worker[] = [];
  private readonly ready: Promise<void>;
  private closed = false;
  /** Frames render one after another: each worker answers its requests in order, one listener at a time. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly grid: VoxelGrid,
    readonly settings: MarchSettings,
    readonly threads = Math.max(1, availableParallelism()),
    readonly fast: FastMarchOptions = DEFAULT_FAST_MARCH,
  ) {
    if (!Number.isInteger(threads) || threads < 1)
      throw new ConfigError(`parallel renderer: threads ${threads} must be a positive integer`);
    const occupancy = computeOccupancy(grid, settings).occupancy;
    const load: FrameWorkerLoad = {
      type: 'load',
      geometry: grid.geometry,
      shDegree: grid.shDegree,
      density: grid.density,
      sh: grid.sh,
      occupancy,
      settings: [settings, fastMarchSettings(settings, fast)],
    };
    for (let i = 0; i < threads; i++) this.workers.push(new Worker(new URL('./frame-render-worker.js', import.meta.url)));
    this.ready = Promise.all(this.workers.map((w) => this.request(w, load))).then(() => undefined);
    // A failed load is reported by the first render; do not let it go unhandled before then.
    this.ready.catch(() => undefined);
  }

  /** Resolves once every worker has loaded the grid (rejects if one failed). */
  whenReady(): Promise<void> {
    return this.ready;
  }

  /** Renders `camera` across the workers; depth is the expected ray distance per unit opacity (0: empty). */
  render(camera: Camera, quality: RenderQuality = 'full'): Promise<RenderedView> {
    if (this.closed) return Promise.reject(new StrataError('STRATA_ERR_STATE', 'parallel renderer: render() after close()'));
    const frame = this.queue.then(() => this.renderNow(camera, quality));
    this.queue = frame.catch(() => undefined);
    return frame;
  }

  private async renderNow(camera: Camera, quality: RenderQuality): Promise<RenderedView> {
    if (quality === 'draft') {
      const half = scaleCamera(camera, Math.max(1, Math.round(camera.width / 2)), Math.max(1, Math.round(camera.height / 2)));
      return upsampleView(await this.renderNow(half, 'fast'), camera.width, camera.height);
    }
    await this.ready;
    const n = camera.width * camera.height;
    const shared = (floats: number): Float32Array => new Float32Array(new SharedArrayBuffer(4 * floats));
    const rgb = shared(3 * n),
      depth = shared(n),
      opacity = shared(n);
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
      const job: FrameWorkerRows = { type: 'rows', camera, settingsIndex: quality === 'full' ? 0 : 1, fromRow, toRow, rgb, depth, opacity };
      queues[w] = queues[w].then(() => this.request(this.workers[w], job));
      jobs.push(queues[w]);
    }
    await Promise.all(jobs);
    return { width: camera.width, height: camera.height, rgb, depth, opacity };
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers.length = 0;
  }

  private async request(worker: Worker, message: FrameWorkerLoad | FrameWorkerRows): Promise<void> {
    await workerRequest<never>(worker, message, 'frame render worker');
  }
}
