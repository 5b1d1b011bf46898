// The Node side of GridTrainer: a pool of worker threads (one TrainerThread each, sharing the grid through
// SharedArrayBuffers), and createGridTrainer, which picks it or the inline trainer by thread count.

import { Worker } from 'node:worker_threads';
import { ConfigError, StrataError } from '@strata/shared';
import { workerRequest } from '../worker-request.js';
import { InlineGridTrainer, type GridTrainer } from './grid-trainer.js';
import type { ChunkResult, TrainingBuffers, TrainChunk } from './trainer-thread.js';

export class WorkerGridTrainer implements GridTrainer {
  private readonly workers: Worker[] = [];
  private loaded = false;

  constructor(readonly threads: number) {
    if (!Number.isInteger(threads) || threads < 1) throw new ConfigError(`grid trainer: threads ${threads} must be a positive integer`);
    for (let i = 0; i < threads; i++) {
      const worker = new Worker(new URL('./trainer-worker.js', import.meta.url));
      worker.unref();
      this.workers.push(worker);
    }
  }

  private request(worker: Worker, message: unknown): Promise<ChunkResult | undefined> {
    return workerRequest<ChunkResult>(worker, message, 'grid trainer worker');
  }

  async load(buffers: TrainingBuffers): Promise<void> {
    if (buffers.grads.length !== this.threads) {
      throw new ConfigError(`grid trainer: buffers for ${buffers.grads.length} threads given to ${this.threads} workers`);
    }
    await Promise.all(this.workers.map((w, index) => this.request(w, { type: 'load', buffers, index, count: this.threads })));
    this.loaded = true;
  }

  async run(chunk: TrainChunk): Promise<ChunkResult> {
    if (!this.loaded) throw new StrataError('STRATA_ERR_STATE', 'grid trainer: run() before load()');
    let results: (ChunkResult | undefined)[];
    try {
      results = await Promise.all(this.workers.map((w) => this.request(w, { type: 'run', chunk })));
    } catch (err) {
      // The other workers may be parked at a barrier the failed one will never reach.
      await this.close();
      throw err;
    }
    let sse = 0,
      rays = 0,
      samples = 0;
    for (const r of results) {
      sse += r?.sse ?? 0;
      rays += r?.rays ?? 0;
      samples += r?.samples ?? 0;
    }
    return { sse, rays, samples };
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers.length = 0;
    this.loaded = false;
  }
}

/** A trainer for `threads` threads: inline for one, worker threads otherwise. */
export function createGridTrainer(threads: number): GridTrainer {
  return threads <= 1 ? new InlineGridTrainer() : new WorkerGridTrainer(threads);
}
