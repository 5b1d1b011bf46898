// What the parallel renderers of a voxel grid and of a Gaussian cloud share: worker threads that each hold a
// copy of the model (loaded once, when the renderer is built), frames rendered one after another into shared
// buffers that every worker writes its part of, and the draft quality (the fast render at half the width and
// height, upsampled). Each subclass says how a frame's work is split across its workers.

import { Worker } from 'node:worker_threads';
import { ConfigError, StrataError } from '@strata/shared';
import { workerRequest } from '../worker-request.js';
import { scaleCamera, type Camera } from '../data/camera.js';
import type { RenderedView } from './grid-renderer.js';
import { upsampleView } from './fast-march.js';

/** full: the model's reference render; fast: the cheaper settings; draft: fast at half the width and height, upsampled. */
export type RenderQuality = 'full' | 'fast' | 'draft';

/** The buffers of one frame, shared with the workers (SharedArrayBuffer-backed); rgb8 where the workers write it. */
export type SharedFrame = Pick<RenderedView, 'rgb' | 'depth' | 'opacity' | 'rgb8'>;

/** Frames handed back that a renderer keeps for reuse (a session has at most one encoding while one renders). */
const MAX_SPARE = 2;

export abstract class ParallelFrameRenderer {
  protected readonly workers: Worker[] = [];
  private readonly ready: Promise<void>;
  private closed = false;
  /** Frames render one after another: each worker answers its requests in order, one listener at a time. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Frames handed back (recycle) whose buffers later frames of their size render into. */
  private readonly spare: SharedFrame[] = [];
  /** The colour buffers of frames this renderer returned and that were not handed back yet. */
  private readonly lent = new WeakSet<Float32Array>();

  /**
   * Starts `threads` workers of `workerScript` and sends each `load` (the model). `what` names the renderer
   * and its workers in errors.
   */
  protected constructor(
    workerScript: URL,
    threads: number,
    load: unknown,
    private readonly what: string,
    /** Whether the workers also write the colour as 8-bit rgb (SharedFrame.rgb8; the 8-bit codecs send it). */
    private readonly writesRgb8 = false,
  ) {
    if (!Number.isInteger(threads) || threads < 1) throw new ConfigError(`${what}: threads ${threads} must be a positive integer`);
    for (let i = 0; i < threads; i++) this.workers.push(new Worker(workerScript));
    this.ready = Promise.all(this.workers.map((w) => this.request(w, load))).then(() => undefined);
    // A failed load is reported by the first render; do not let it go unhandled before then.
    this.ready.catch(() => undefined);
  }

  /** Resolves once every worker has loaded the model (rejects if one failed). */
  whenReady(): Promise<void> {
    return this.ready;
  }

  /** Renders `camera` across the workers. */
  render(camera: Camera, quality: RenderQuality = 'full'): Promise<RenderedView> {
    if (this.closed) return Promise.reject(new StrataError('STRATA_ERR_STATE', `${this.what}: render() after close()`));
    const frame = this.queue.then(() => this.renderNow(camera, quality));
    this.queue = frame.catch(() => undefined);
    return frame;
  }

  /**
   * The caller is done with `frame`, one this renderer returned (it will not read it again): a later frame of
   * its size is rendered into its buffers instead of fresh shared memory. Every worker writes every pixel of
   * its part, so nothing of the old frame shows through. Frames of other renderers, draft frames (upsampled,
   * not shared) and frames handed back twice are ignored; at most MAX_SPARE are kept.
   */
  recycle(frame: SharedFrame): void {
    if (!this.lent.has(frame.rgb) || this.spare.length >= MAX_SPARE) return;
    this.lent.delete(frame.rgb);
    this.spare.push({ rgb: frame.rgb, depth: frame.depth, opacity: frame.opacity, ...(frame.rgb8 ? { rgb8: frame.rgb8 } : {}) });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers.length = 0;
  }

  /** Has the workers render their parts of `camera`'s frame into `frame`. */
  protected abstract renderParts(camera: Camera, quality: 'full' | 'fast', frame: SharedFrame): Promise<void>;

  protected async request(worker: Worker, message: unknown): Promise<void> {
    await workerRequest<never>(worker, message, `${this.what} worker`);
  }

  private async renderNow(camera: Camera, quality: RenderQuality): Promise<RenderedView> {
    if (quality === 'draft') {
      const half = scaleCamera(camera, Math.max(1, Math.round(camera.width / 2)), Math.max(1, Math.round(camera.height / 2)));
      return upsampleView(await this.renderNow(half, 'fast'), camera.width, camera.height);
    }
    await this.ready;
    const n = camera.width * camera.height;
    const shared = (floats: number): Float32Array => new Float32Array(new SharedArrayBuffer(4 * floats));
    const at = this.spare.findIndex((f) => f.rgb.length === 3 * n && f.depth.length === n && f.opacity.length === n);
    const bytes = (count: number): Uint8Array => new Uint8Array(new SharedArrayBuffer(count));
    const frame: SharedFrame =
      at >= 0
        ? this.spare.splice(at, 1)[0]
        : { rgb: shared(3 * n), depth: shared(n), opacity: shared(n), ...(this.writesRgb8 ? { rgb8: bytes(3 * n) } : {}) };
    await this.renderParts(camera, quality, frame);
    this.lent.add(frame.rgb);
    return { width: camera.width, height: camera.height, ...frame };
  }
}
