// One training thread's loop: sample its share of a batch of rays, march them forward and backward into its
// own gradient buffer, then (after a barrier) reduce and update its x-slabs of the grid with the sparse Adam.
// The same loop runs inline (one thread) and in each worker thread, so both paths train the same way.

import { ConfigError, SeededRandom } from '@strata/shared';
import type { GridGeometry } from '../model/grid-geometry.js';
import type { MarchSettings } from '../model/march-settings.js';
import { VoxelGrid } from '../model/voxel-grid.js';
import { RayMarchKernel } from '../kernels/ray-march-kernel.js';
import type { GradientBuffers } from '../kernels/gradient-buffers.js';
import type { RaySet } from '../kernels/ray-set.js';
import type { OccupancyGrid } from '../kernels/occupancy.js';
import { SparseAdam, type AdamState, type SharedMomentBuffers } from './sparse-adam.js';
import { ThreadBarrier } from './thread-barrier.js';

/** Everything the threads share (SharedArrayBuffer-backed when there are worker threads). */
export interface TrainingBuffers {
  readonly geometry: GridGeometry;
  readonly shDegree: number;
  readonly settings: MarchSettings;
  readonly density: Float32Array;
  readonly sh: Float32Array;
  readonly adam: AdamState;
  /** One per thread. */
  readonly grads: readonly GradientBuffers[];
  readonly occupancy: OccupancyGrid | null;
  /** Points updated since the owner last cleared it (what a device uploads); null when not tracked. */
  readonly everTouched: Uint8Array | null;
  readonly rays: RaySet;
  /** Optional per-ray sampling subset: rays are drawn from these indices instead of all of `rays`. */
  readonly rayPool: Uint32Array | null;
  readonly barrier: Int32Array;
  /** A federated device's shared second moment and squared-gradient sums; null otherwise. */
  readonly sharedMoment: SharedMomentBuffers | null;
}

/** A run of optimisation steps with a learning-rate schedule (lr * lrDecayPerStep^(step - firstStep)). */
export interface TrainChunk {
  /** 1-based Adam step of the chunk's first iteration. */
  readonly firstStep: number;
  readonly steps: number;
  readonly batchSize: number;
  readonly lrDensity: number;
  readonly lrColor: number;
  readonly lrDecayPerStep: number;
  readonly tvDensity: number;
  readonly tvColor: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly seed: number;
  /** The most learning rates one step may take under a shared second moment; needed when the buffers hold one. */
  readonly sharedStepClip?: number;
}

export interface ChunkResult {
  /** Sum of squared errors over every ray and channel trained. */
  readonly sse: number;
  readonly rays: number;
  /** Samples composited (after empty-space skipping and the weight threshold). */
  readonly samples: number;
}

export class TrainerThread {
  private readonly kernel: RayMarchKernel;
  private readonly adam: SparseAdam;
  private readonly barrier: ThreadBarrier;
  private readonly nx: number;

  constructor(
    private readonly buffers: TrainingBuffers,
    private readonly index: number,
    private readonly count: number,
  ) {
    const grid = new VoxelGrid(buffers.geometry, buffers.shDegree, buffers.density, buffers.sh);
    this.kernel = new RayMarchKernel(grid, buffers.settings);
    this.kernel.occupancy = buffers.occupancy;
    this.adam = new SparseAdam(grid, buffers.adam, buffers.grads, buffers.everTouched, buffers.sharedMoment);
    this.barrier = new ThreadBarrier(buffers.barrier, count);
    this.nx = buffers.geometry.dims[0];
  }

  /** This thread's share of a batch of `batchSize` rays. */
  private share(batchSize: number): number {
    const base = Math.floor(batchSize / this.count);
    return base + (this.index < batchSize % this.count ? 1 : 0);
  }

  run(chunk: TrainChunk): ChunkResult {
    if (this.buffers.sharedMoment && !((chunk.sharedStepClip ?? 0) > 0)) {
      throw new ConfigError(`training under a shared second moment needs sharedStepClip > 0, got ${chunk.sharedStepClip}`);
    }
    const rng = new SeededRandom(chunk.seed).fork(`chunk-${chunk.firstStep}`).fork(this.index);
    const mine = this.share(chunk.batchSize);
    const indices = new Uint32Array(mine);
    const pool = this.buffers.rayPool;
    const poolSize = pool ? pool.length : this.buffers.rays.count;
    const grads = this.buffers.grads[this.index];
    const gradScale = 1 / (3 * chunk.batchSize);
    let sse = 0;
    const samplesBefore = this.kernel.samplesComposited;
    for (let s = 0; s < chunk.steps; s++) {
      for (let r = 0; r < mine; r++) {
        const k = rng.int(poolSize);
        indices[r] = pool ? pool[k] : k;
      }
      // Rays in index order are grouped by image and scanline, so consecutive rays cross neighbouring voxels
      // and find them in cache: the same batch, marched several times faster than in random order.
      indices.sort();
      sse += this.kernel.trainRays(this.buffers.rays, indices, 0, mine, rng, grads, gradScale);
      this.barrier.wait();
      for (let i = this.index; i < this.nx; i += this.count) this.adam.reduce(i, i + 1, chunk.tvDensity, chunk.tvColor);
      this.barrier.wait();
      const decay = chunk.lrDecayPerStep ** s;
      const hyper = {
        step: chunk.firstStep + s,
        lrDensity: chunk.lrDensity * decay,
        lrColor: chunk.lrColor * decay,
        beta1: chunk.beta1,
        beta2: chunk.beta2,
        epsilon: chunk.epsilon,
        sharedStepClip: chunk.sharedStepClip ?? Infinity,
      };
      for (let i = this.index; i < this.nx; i += this.count) this.adam.update(i, i + 1, hyper);
      this.barrier.wait();
    }
    return { sse, rays: mine * chunk.steps, samples: this.kernel.samplesComposited - samplesBefore };
  }
}
