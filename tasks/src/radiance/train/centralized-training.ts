// Centralized training of a voxel-grid radiance field, DVGO-style: a coarse grid over the scene box finds
// where the scene is, the fine grid is fitted to that (tighter) box and grows coarse-to-fine, an occupancy
// grid refreshed every few hundred steps lets rays skip empty space, and every stage trains with the sparse
// Adam plus total variation on as many threads as asked.

import { ConfigError } from '@strata/shared';
import type { SceneDataset } from '../data/scene-dataset.js';
import { geometryForPointCount, meanVoxelSize, type Aabb, type GridGeometry, type Vec3 } from '../model/grid-geometry.js';
import { densityShiftForAlpha, type MarchSettings } from '../model/march-settings.js';
import { VoxelGrid } from '../model/voxel-grid.js';
import { buildRaySet } from '../kernels/build-ray-set.js';
import type { RaySet } from '../kernels/ray-set.js';
import { computeOccupancy, createOccupancy, rawDensityForAlpha, type OccupancyGrid } from '../kernels/occupancy.js';
import { allocateTrainingBuffers, type GridTrainer } from './grid-trainer.js';
import { createGridTrainer } from './worker-grid-trainer.js';
import type { TrainChunk } from './trainer-thread.js';

export interface GridStage {
  /** Grid points (the grid is sized to about this many, with cubic voxels). */
  readonly points: number;
  /** Optimisation steps (batches) in this stage. */
  readonly steps: number;
  /**
   * Samples with compositing weight below this are skipped (DVGO's fast colour threshold). The coarse
   * stage keeps 0: its grid starts nearly transparent and every sample must be able to gain density.
   */
  readonly weightThreshold: number;
  /**
   * Total-variation weights. The coarse stage keeps 0: while its grid is nearly transparent the data
   * gradient on density is scaled by the tiny initial opacity and any regulariser would swamp it.
   */
  readonly tvDensity: number;
  readonly tvColor: number;
  /** Rays per step in this stage (default: the options' batchSize). */
  readonly batchSize?: number;
}

export interface CentralizedOptions {
  readonly seed: number;
  /** The box the coarse stage spans (null: the data set's scene box). */
  readonly bbox: Aabb | null;
  readonly threads: number;
  readonly shDegree: number;
  /** Coarse stage over the whole scene box; its geometry decides the fine stages' box. steps 0 skips it. */
  readonly coarse: GridStage;
  /** Fine stages over the tight box, each resampled from the previous (coarse-to-fine growth). */
  readonly fine: readonly GridStage[];
  readonly batchSize: number;
  readonly lrDensity: number;
  readonly lrColor: number;
  /** The learning rate falls exponentially to lr * lrFinalFactor over all steps. */
  readonly lrFinalFactor: number;
  /** Opacity per density unit of an untrained grid. */
  readonly alphaInit: number;
  /**
   * The density unit as a fraction of the final voxel size over the scene box. Smaller units make a raw
   * density step mean more opacity, so surfaces sharpen in fewer steps (and rays end sooner).
   */
  readonly densityUnitScale: number;
  readonly stepRatio: number;
  readonly terminationT: number;
  /** Cells whose corners all have alpha below this are skipped; refreshed every occupancyEvery steps. */
  readonly occupancyAlpha: number;
  readonly occupancyEvery: number;
  /** Coarse grid points with alpha above this bound the fine stages' box. */
  readonly bboxAlpha: number;
  /** Steps per chunk between progress reports. */
  readonly chunkSteps: number;
}

export const DEFAULT_CENTRALIZED_OPTIONS: CentralizedOptions = {
  seed: 1,
  bbox: null,
  threads: 2,
  shDegree: 1,
  coarse: { points: 48 ** 3, steps: 300, weightThreshold: 0, tvDensity: 0, tvColor: 0 },
  fine: [
    { points: 80 ** 3, steps: 400, weightThreshold: 1e-3, tvDensity: 0, tvColor: 0 },
    { points: 128 ** 3, steps: 800, weightThreshold: 1e-3, tvDensity: 0, tvColor: 0 },
  ],
  batchSize: 8192,
  lrDensity: 0.1,
  lrColor: 0.05,
  lrFinalFactor: 0.1,
  alphaInit: 1e-4,
  densityUnitScale: 0.25,
  stepRatio: 0.5,
  terminationT: 1e-3,
  occupancyAlpha: 1e-3,
  occupancyEvery: 100,
  bboxAlpha: 1e-2,
  chunkSteps: 50,
};

export interface TrainProgress {
  readonly stage: string;
  /** Steps done over all stages, and the total. */
  readonly step: number;
  readonly totalSteps: number;
  /** Training PSNR over the last chunk's rays. */
  readonly trainPsnr: number;
  /** Rays per second over the last chunk (wall clock). */
  readonly raysPerSecond: number;
  /** Composited samples per ray over the last chunk. */
  readonly samplesPerRay: number;
  readonly gridDims: Vec3;
  /** Fraction of cells the occupancy grid keeps. */
  readonly occupied: number;
}

export interface CentralizedResult {
  readonly grid: VoxelGrid;
  readonly settings: MarchSettings;
  readonly steps: number;
  readonly rays: number;
  readonly samples: number;
  readonly trainSeconds: number;
}

export function marchSettingsFor(
  dataset: SceneDataset,
  options: Pick<CentralizedOptions, 'alphaInit' | 'stepRatio' | 'terminationT' | 'occupancyAlpha'>,
  densityUnit: number,
  weightThreshold: number,
): MarchSettings {
  return {
    near: dataset.near,
    far: dataset.far,
    stepRatio: options.stepRatio,
    background: dataset.background,
    densityShift: densityShiftForAlpha(options.alphaInit),
    densityUnit,
    terminationT: options.terminationT,
    weightThreshold,
    occupancyAlpha: options.occupancyAlpha,
    contraction: dataset.contraction ?? null,
  };
}

/** The box around grid points whose alpha exceeds `alpha`, grown by two voxels, clipped to the grid's box. */
export function occupiedBox(grid: VoxelGrid, settings: MarchSettings, alpha: number): Aabb | null {
  const { dims, bbox } = grid.geometry;
  const interval = (settings.stepRatio * meanVoxelSize(grid.geometry)) / settings.densityUnit;
  const threshold = rawDensityForAlpha(settings, interval, alpha);
  const lo = [Infinity, Infinity, Infinity],
    hi = [-Infinity, -Infinity, -Infinity];
  let v = 0;
  for (let i = 0; i < dims[0]; i++) {
    for (let j = 0; j < dims[1]; j++) {
      for (let k = 0; k < dims[2]; k++, v++) {
        if (!(grid.density[v] > threshold)) continue;
        const p = [i, j, k];
        for (let a = 0; a < 3; a++) {
          lo[a] = Math.min(lo[a], p[a]);
          hi[a] = Math.max(hi[a], p[a]);
        }
      }
    }
  }
  if (lo[0] === Infinity) return null;
  const at = (a: number, i: number): number =>
    bbox.min[a] + (Math.min(Math.max(i, 0), dims[a] - 1) * (bbox.max[a] - bbox.min[a])) / (dims[a] - 1);
  return {
    min: [at(0, lo[0] - 2), at(1, lo[1] - 2), at(2, lo[2] - 2)],
    max: [at(0, hi[0] + 2), at(1, hi[1] + 2), at(2, hi[2] + 2)],
  };
}

function validate(options: CentralizedOptions): void {
  const positiveInt = (name: string, v: number): void => {
    if (!Number.isInteger(v) || v < 1) throw new ConfigError(`radiance training: ${name} = ${v}; need a positive integer`);
  };
  positiveInt('threads', options.threads);
  positiveInt('batchSize', options.batchSize);
  positiveInt('chunkSteps', options.chunkSteps);
  positiveInt('occupancyEvery', options.occupancyEvery);
  if (options.fine.length === 0) throw new ConfigError('radiance training: fine stages must not be empty');
  for (const s of [options.coarse, ...options.fine]) {
    if (!(s.points >= 8) || !Number.isInteger(s.steps) || s.steps < 0) {
      throw new ConfigError(`radiance training: stage ${JSON.stringify(s)} needs points >= 8 and integer steps >= 0`);
    }
  }
  for (const [name, v] of Object.entries({
    lrDensity: options.lrDensity,
    lrColor: options.lrColor,
    lrFinalFactor: options.lrFinalFactor,
    alphaInit: options.alphaInit,
  })) {
    if (!(v > 0) || !Number.isFinite(v)) throw new ConfigError(`radiance training: ${name} = ${v}; need a positive number`);
  }
}

/**
 * Trains on `dataset.train`, reporting to `observer`; `rays` may be passed in to reuse a ray set (it must be
 * in shared memory when threads > 1).
 */
export interface CentralizedObserver {
  /** After every chunk of steps. */
  progress?(p: TrainProgress): void;
  /** After each stage, with a view of the grid (valid until the callback returns; clone to keep it). */
  stageFinished?(stage: string, step: number, grid: VoxelGrid, settings: MarchSettings): void | Promise<void>;
}

export async function trainCentralized(
  dataset: SceneDataset,
  options: CentralizedOptions,
  observer: CentralizedObserver = {},
  rays: RaySet = buildRaySet(dataset.train, options.threads > 1),
): Promise<CentralizedResult> {
  validate(options);
  const started = performance.now();
  const finalPoints = options.fine[options.fine.length - 1].points;
  // Raw densities mean the same opacity per unit length in every stage; the unit is the final grid's voxel
  // size over the whole scene box, a constant of the run.
  const densityUnit = options.densityUnitScale * meanVoxelSize(geometryForPointCount(dataset.bbox, finalPoints));
  const stages: { name: string; stage: GridStage }[] = [];
  if (options.coarse.steps > 0) stages.push({ name: 'coarse', stage: options.coarse });
  options.fine.forEach((stage, i) => stages.push({ name: `fine-${i + 1}`, stage }));
  const totalSteps = stages.reduce((n, s) => n + s.stage.steps, 0);
  const decayPerStep = options.lrFinalFactor ** (1 / Math.max(1, totalSteps));

  const trainer: GridTrainer = createGridTrainer(options.threads);
  let grid: VoxelGrid | null = null;
  let settings: MarchSettings | null = null;
  let box: Aabb = options.bbox ?? dataset.bbox;
  let globalStep = 0;
  let totalRays = 0;
  let totalSamples = 0;
  try {
    for (const { name, stage } of stages) {
      settings = marchSettingsFor(dataset, options, densityUnit, stage.weightThreshold);
      if (name === 'fine-1' && grid !== null) box = occupiedBox(grid, settings, options.bboxAlpha) ?? box;
      const geometry: GridGeometry = geometryForPointCount(box, stage.points);
      const resampled = grid !== null;
      const init = grid === null ? VoxelGrid.create(geometry, options.shDegree) : grid.resample(geometry, -100);
      const buffers = allocateTrainingBuffers(init, settings, rays, { threads: options.threads, occupancy: createOccupancy(geometry, 1) });
      const occupancy = buffers.occupancy as OccupancyGrid;
      grid = new VoxelGrid(geometry, options.shDegree, buffers.density, buffers.sh);
      // A fresh grid marches everywhere until its first occupancy refresh; a resampled one starts pruned.
      let occupied = resampled ? computeOccupancy(grid, settings, occupancy).fraction : 1;
      await trainer.load(buffers);
      for (let done = 0; done < stage.steps; ) {
        const steps = Math.min(options.chunkSteps, stage.steps - done);
        const chunk: TrainChunk = {
          firstStep: done + 1,
          steps,
          batchSize: stage.batchSize ?? options.batchSize,
          lrDensity: options.lrDensity * decayPerStep ** globalStep,
          lrColor: options.lrColor * decayPerStep ** globalStep,
          lrDecayPerStep: decayPerStep,
          tvDensity: stage.tvDensity,
          tvColor: stage.tvColor,
          beta1: 0.9,
          beta2: 0.99,
          epsilon: 1e-15,
          seed: options.seed + 7919 * globalStep,
        };
        const t0 = performance.now();
        const result = await trainer.run(chunk);
        const seconds = (performance.now() - t0) / 1000;
        done += steps;
        globalStep += steps;
        totalRays += result.rays;
        totalSamples += result.samples;
        const before = Math.floor((done - steps) / options.occupancyEvery),
          after = Math.floor(done / options.occupancyEvery);
        if (after > before) occupied = computeOccupancy(grid, settings, occupancy).fraction;
        observer.progress?.({
          stage: name,
          step: globalStep,
          totalSteps,
          trainPsnr: -10 * Math.log10(result.sse / (3 * result.rays)),
          raysPerSecond: result.rays / seconds,
          samplesPerRay: result.samples / result.rays,
          gridDims: geometry.dims,
          occupied,
        });
      }
      await observer.stageFinished?.(name, globalStep, grid, settings);
    }
  } finally {
    await trainer.close();
  }
  if (grid === null || settings === null) throw new ConfigError('radiance training: no stage has any steps');
  return {
    grid: grid.clone(),
    settings,
    steps: globalStep,
    rays: totalRays,
    samples: totalSamples,
    trainSeconds: (performance.now() - started) / 1000,
  };
}
