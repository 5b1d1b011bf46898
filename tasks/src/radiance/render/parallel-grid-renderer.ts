// Renders frames of a voxel-grid radiance field fast enough to stream: the image's rows are split in bands
// across worker threads (each holding its own copy of the grid, loaded once per model), and a frame can be
// marched at "fast" quality: a longer sample step and an earlier termination than training used (the
// empty-space skipping and early ray termination of the kernel apply in both). Full quality is the grid's
// own march settings, what `GridRenderer` renders; the PSNR between the two is what the speed costs.

import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { ConfigError, StrataError } from '@strata/shared';
import type { VoxelGrid } from '../model/voxel-grid.js';
import { validateMarchSettings, type MarchSettings } from '../model/march-settings.js';
import { computeOccupancy } from '../kernels/occupancy.js';
import { scaleCamera, type Camera } from '../data/camera.js';
import type { RenderedView } from './grid-renderer.js';
import type { FrameWorkerLoad, FrameWorkerRows } from './frame-render-worker.js';

/** full: the grid's own march; fast: the sparser march; draft: the fast march at half the width and height, upsampled. */
export type RenderQuality = 'full' | 'fast' | 'draft';

export interface FastMarchOptions {
  /** Multiplies the sample step (default 3: a third of the samples per ray). */
  readonly stepScale: number;
  /** Stop a ray once its transmittance falls below this (default 0.02). */
  readonly terminationT: number;
}

export const DEFAULT_FAST_MARCH: FastMarchOptions = { stepScale: 3, terminationT: 0.02 };

/** The fast march: the same density per unit length, sampled `stepScale` times more sparsely. */
export function fastMarchSettings(settings: MarchSettings, fast: FastMarchOptions = DEFAULT_FAST_MARCH): MarchSettings {
  const result = {
    ...settings,
    stepRatio: Math.min(4, settings.stepRatio * fast.stepScale),
    terminationT: Math.max(settings.terminationT, fast.terminationT),
  };
  validateMarchSettings(result);
  return result;
}

type WorkerReply = { ok: true } | { ok: false; message: string };

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

  private request(worker: Worker, message: FrameWorkerLoad | FrameWorkerRows): Promise<void> {
    return new Promise((resolve, reject) => {
      const cleanup = (): void => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.unref();
      };
      const onMessage = (reply: WorkerReply): void => {
        cleanup();
        if (reply.ok) resolve();
        else reject(new StrataError('STRATA_ERR_WORKER', `frame render worker failed: ${reply.message}`));
      };
      const onError = (err: Error): void => {
        cleanup();
        reject(err);
      };
      worker.ref();
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.postMessage(message);
    });
  }
}

/**
 * `view` at `width` x `height`: colour bilinearly, depth and opacity from the nearest pixel (interpolating depth
 * across an object's edge would put points in mid-air, which warping then shows).
 */
export function upsampleView(view: RenderedView, width: number, height: number): RenderedView {
  const n = width * height;
  const rgb = new Float32Array(3 * n),
    depth = new Float32Array(n),
    opacity = new Float32Array(n);
  const sx = view.width / width,
    sy = view.height / height;
  for (let y = 0; y < height; y++) {
    const fy = Math.min(view.height - 1, Math.max(0, (y + 0.5) * sy - 0.5));
    const y0 = Math.floor(fy),
      y1 = Math.min(view.height - 1, y0 + 1),
      wy = fy - y0;
    const ny = Math.min(view.height - 1, Math.floor((y + 0.5) * sy));
    for (let x = 0; x < width; x++) {
      const fx = Math.min(view.width - 1, Math.max(0, (x + 0.5) * sx - 0.5));
      const x0 = Math.floor(fx),
        x1 = Math.min(view.width - 1, x0 + 1),
        wx = fx - x0;
      const q = y * width + x;
      for (let c = 0; c < 3; c++) {
        const a = view.rgb[3 * (y0 * view.width + x0) + c],
          b = view.rgb[3 * (y0 * view.width + x1) + c],
          d = view.rgb[3 * (y1 * view.width + x0) + c],
          e = view.rgb[3 * (y1 * view.width + x1) + c];
        rgb[3 * q + c] = (a * (1 - wx) + b * wx) * (1 - wy) + (d * (1 - wx) + e * wx) * wy;
      }
      const nearest = ny * view.width + Math.min(view.width - 1, Math.floor((x + 0.5) * sx));
      depth[q] = view.depth[nearest];
      opacity[q] = view.opacity[nearest];
    }
  }
  return { width, height, rgb, depth, opacity };
}
