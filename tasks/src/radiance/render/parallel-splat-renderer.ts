// Renders frames of a Gaussian cloud fast enough to stream: each worker thread holds a copy of the cloud
// (loaded once per model) and renders an interleaved band of 8x8 tile rows (worker w takes rows w, w + n,
// ...: each gets both the busy centre and the empty rim), projecting every Gaussian but binning and
// compositing only its own rows. Quality: full is the reference's compositing; fast is DEFAULT_FAST_SPLAT
// (gaussian-view.ts); draft is fast at half the width and height, upsampled. Depth is the median
// depth along the unit ray (see gaussian-view.ts).

import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { ConfigError, StrataError } from '@strata/shared';
import { GAUSSIAN_STRIDE, type GaussianCloud } from '../model/gaussian-cloud.js';
import type { Vec3 } from '../model/grid-geometry.js';
import { workerRequest } from '../worker-request.js';
import { scaleCamera, type Camera } from '../data/camera.js';
import type { RenderedView } from './grid-renderer.js';
import type { RenderQuality } from './parallel-grid-renderer.js';
import { upsampleView } from './fast-march.js';
import { DEFAULT_FAST_SPLAT, FULL_SPLAT, validateSplatSettings, type SplatRenderSettings } from './gaussian-view.js';
import type { SplatWorkerBand, SplatWorkerLoad } from './splat-render-worker.js';

export class ParallelSplatRenderer {
  private readonly workers: Worker[] = [];
  private readonly ready: Promise<void>;
  private closed = false;
  /** Frames render one after another: each worker answers one request at a time. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly cloud: GaussianCloud,
    readonly background: Vec3,
    readonly threads = Math.max(1, availableParallelism()),
    readonly fast: SplatRenderSettings = DEFAULT_FAST_SPLAT,
  ) {
    if (!Number.isInteger(threads) || threads < 1)
      throw new ConfigError(`parallel splat renderer: threads ${threads} must be a positive integer`);
    validateSplatSettings(fast);
    const load: SplatWorkerLoad = {
      type: 'load',
      count: cloud.count,
      // A copy of the rows in use (cloning a view would copy its whole buffer to every worker).
      params: cloud.params.slice(0, cloud.count * GAUSSIAN_STRIDE),
      shDegree: cloud.shDegree,
      background,
    };
    for (let i = 0; i < threads; i++) this.workers.push(new Worker(new URL('./splat-render-worker.js', import.meta.url)));
    this.ready = Promise.all(this.workers.map((w) => this.request(w, load))).then(() => undefined);
    // A failed load is reported by the first render; do not let it go unhandled before then.
    this.ready.catch(() => undefined);
  }

  /** Resolves once every worker has loaded the cloud (rejects if one failed). */
  whenReady(): Promise<void> {
    return this.ready;
  }

  /** Renders `camera` across the workers; depth is the median depth along the unit ray (0: none). */
  render(camera: Camera, quality: RenderQuality = 'full'): Promise<RenderedView> {
    if (this.closed) return Promise.reject(new StrataError('STRATA_ERR_STATE', 'parallel splat renderer: render() after close()'));
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
    const settings = quality === 'full' ? FULL_SPLAT : this.fast;
    const tileRowStride = this.workers.length;
    await Promise.all(
      this.workers.map((worker, w) => {
        const job: SplatWorkerBand = {
          type: 'band',
          camera,
          band: { ...settings, tileRowOffset: w, tileRowStride },
          rgb,
          depth,
          opacity,
        };
        return this.request(worker, job);
      }),
    );
    return { width: camera.width, height: camera.height, rgb, depth, opacity };
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers.length = 0;
  }

  private async request(worker: Worker, message: SplatWorkerLoad | SplatWorkerBand): Promise<void> {
    await workerRequest<never>(worker, message, 'splat render worker');
  }
}
