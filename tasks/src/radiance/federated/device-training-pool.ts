// One trainer (inline or worker threads) and one set of training buffers shared by all of a task's devices.
// Simulated devices take turns: each training waits for the previous one, reloads the buffers with the
// model it received and its own rays, trains, and reads its update out before the next one starts. This
// keeps memory at one grid's worth of optimiser state however many devices there are. The trainer comes from a
// factory, so this file needs no Node built-in: a browser device passes the inline trainer.

import type { MarchSettings } from '../model/march-settings.js';
import type { VoxelGrid } from '../model/voxel-grid.js';
import type { RaySet } from '../kernels/ray-set.js';
import type { OccupancyGrid } from '../kernels/occupancy.js';
import { allocateTrainingBuffers, resetTrainingBuffers, type GridTrainer, type GridTrainerFactory } from '../train/grid-trainer.js';
import type { TrainingBuffers } from '../train/trainer-thread.js';

export class DeviceTrainingPool {
  private trainer: GridTrainer | null = null;
  private buffers: TrainingBuffers | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly threads: number,
    private readonly settings: MarchSettings,
    /** Devices step under a shared second moment (and need no visibility weights). */
    private readonly sharedMoment: boolean,
    private readonly createTrainer: GridTrainerFactory,
  ) {}

  /**
   * Runs `work` with buffers holding a copy of `grid` (never `grid` itself), the occupancy given and
   * `rays`, once every earlier call has finished.
   */
  use<T>(
    grid: VoxelGrid,
    occupancy: OccupancyGrid,
    rays: RaySet,
    work: (trainer: GridTrainer, buffers: TrainingBuffers) => Promise<T>,
  ): Promise<T> {
    const run = async (): Promise<T> => {
      if (!this.buffers || this.buffers.density.length !== grid.pointCount) {
        this.buffers = allocateTrainingBuffers(grid, this.settings, rays, {
          threads: this.threads,
          trackTouched: true,
          visibility: !this.sharedMoment,
          sharedMoment: this.sharedMoment,
          occupancy,
        });
      } else {
        resetTrainingBuffers(this.buffers, grid, occupancy);
      }
      const buffers: TrainingBuffers = { ...this.buffers, rays };
      this.trainer ??= this.createTrainer(this.threads);
      await this.trainer.load(buffers);
      return work(this.trainer, buffers);
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  async close(): Promise<void> {
    await this.queue;
    await this.trainer?.close();
    this.trainer = null;
    this.buffers = null;
  }
}
