// Runs training chunks on a set of TrainingBuffers behind one interface: inline on the calling thread (here,
// with no Node built-in, so a browser's Web Worker runs it as it is) or on a pool of worker threads
// (worker-grid-trainer.ts, Node only), so callers pick a thread count, not a code path.

import { ConfigError, StrataError } from '@strata/shared';
import type { VoxelGrid } from '../model/voxel-grid.js';
import type { MarchSettings } from '../model/march-settings.js';
import { createGradientBuffers } from '../kernels/gradient-buffers.js';
import { copyOccupancy, createOccupancy, type OccupancyGrid } from '../kernels/occupancy.js';
import type { RaySet } from '../kernels/ray-set.js';
import { createAdamState } from './sparse-adam.js';
import { ThreadBarrier } from './thread-barrier.js';
import { TrainerThread, type ChunkResult, type TrainChunk, type TrainingBuffers } from './trainer-thread.js';

/** Makes the trainer of a thread count (createGridTrainer in Node; a browser has only the inline one). */
export type GridTrainerFactory = (threads: number) => GridTrainer;

export interface GridTrainer {
  readonly threads: number;
  /** Points the trainer at new buffers (a new stage, another device's data). */
  load(buffers: TrainingBuffers): Promise<void>;
  run(chunk: TrainChunk): Promise<ChunkResult>;
  close(): Promise<void>;
}

export interface TrainingBufferOptions {
  readonly threads: number;
  /** Track the points updated since creation (a device's upload set). */
  readonly trackTouched?: boolean;
  /** Accumulate per-point observation weights into grads[0].visibility. */
  readonly visibility?: boolean;
  /** Draw training rays from these indices only. */
  readonly rayPool?: Uint32Array | null;
  /** Occupancy to skip empty space with (copied); null: march everywhere. */
  readonly occupancy?: OccupancyGrid | null;
  /** Allocate a shared second moment and squared-gradient sums (a federated device's; see SharedMomentBuffers). */
  readonly sharedMoment?: boolean;
}

/** Copies `grid` into fresh training buffers (shared memory when more than one thread will use them). */
export function allocateTrainingBuffers(
  grid: VoxelGrid,
  settings: MarchSettings,
  rays: RaySet,
  options: TrainingBufferOptions,
): TrainingBuffers {
  const shared = options.threads > 1;
  if (shared && !(rays.origins.buffer instanceof SharedArrayBuffer)) {
    throw new ConfigError('training with worker threads needs a ray set in shared memory (buildRaySet(views, true))');
  }
  const floats = (src: Float32Array): Float32Array => {
    const out = shared ? new Float32Array(new SharedArrayBuffer(src.length * 4)) : new Float32Array(src.length);
    out.set(src);
    return out;
  };
  const bytes = (n: number): Uint8Array => (shared ? new Uint8Array(new SharedArrayBuffer(n)) : new Uint8Array(n));
  const points = grid.pointCount;
  const grads = [];
  for (let t = 0; t < options.threads; t++) grads.push(createGradientBuffers(points, grid.channels, options.visibility === true, shared));
  let occupancy: OccupancyGrid | null = null;
  if (options.occupancy) {
    occupancy = createOccupancy(grid.geometry, 0, shared);
    copyOccupancy(options.occupancy, occupancy);
  }
  return {
    geometry: grid.geometry,
    shDegree: grid.shDegree,
    settings,
    density: floats(grid.density),
    sh: floats(grid.sh),
    adam: createAdamState(points, grid.channels, shared),
    grads,
    occupancy,
    everTouched: options.trackTouched ? bytes(points) : null,
    rays,
    rayPool: options.rayPool ?? null,
    barrier: ThreadBarrier.cells(shared),
    sharedMoment: options.sharedMoment
      ? { moment: floats(new Float32Array(2 * points)), squares: floats(new Float32Array(3 * points)) }
      : null,
  };
}

/**
 * Reloads reusable buffers with `grid`'s values (and `occupancy`) and clears all optimiser state, touched
 * flags, observation weights and squared-gradient sums, so one allocation serves many trainings of the same
 * geometry. A shared second moment is left for the caller to load.
 */
export function resetTrainingBuffers(buffers: TrainingBuffers, grid: VoxelGrid, occupancy: OccupancyGrid | null): void {
  if (buffers.density.length !== grid.density.length || buffers.sh.length !== grid.sh.length) {
    throw new ConfigError(`training buffers hold ${buffers.density.length} points, the grid ${grid.density.length}`);
  }
  buffers.density.set(grid.density);
  buffers.sh.set(grid.sh);
  buffers.adam.moments.fill(0);
  for (const g of buffers.grads) {
    g.values.fill(0);
    g.touched.fill(0);
    g.visibility?.fill(0);
  }
  buffers.everTouched?.fill(0);
  buffers.sharedMoment?.squares.fill(0);
  if (buffers.occupancy) {
    if (occupancy) {
      copyOccupancy(occupancy, buffers.occupancy);
    } else {
      buffers.occupancy.cells.fill(1);
      buffers.occupancy.blocks.fill(1);
    }
  }
}

export class InlineGridTrainer implements GridTrainer {
  readonly threads = 1;
  private thread: TrainerThread | null = null;

  async load(buffers: TrainingBuffers): Promise<void> {
    this.thread = new TrainerThread(buffers, 0, 1);
  }

  async run(chunk: TrainChunk): Promise<ChunkResult> {
    if (!this.thread) throw new StrataError('STRATA_ERR_STATE', 'grid trainer: run() before load()');
    return this.thread.run(chunk);
  }

  async close(): Promise<void> {
    this.thread = null;
  }
}
