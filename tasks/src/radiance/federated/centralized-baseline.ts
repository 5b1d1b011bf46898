// The centralized counterpart of a federated run: the same grid, march settings and device learning rates,
// trained on all training views for the same total number of rays (in batches of the caller's choosing), so a
// federated result can be read as "how much did federating cost".

import { GridRenderer } from '../render/grid-renderer.js';
import { evaluateViews } from '../render/evaluate-views.js';
import {
  DEFAULT_CENTRALIZED_OPTIONS,
  trainCentralized,
  type CentralizedObserver,
  type CentralizedResult,
} from '../train/centralized-training.js';
import type { RadianceVoxelGridTask } from './radiance-voxel-grid-task.js';
import type { RadianceDeviceOptions } from './radiance-task-options.js';

export interface CentralizedBaseline {
  readonly result: CentralizedResult;
  readonly renderer: GridRenderer;
  readonly metrics: { psnr: number; ssim: number };
}

export interface CentralizedBaselineOptions {
  /** Rays to train on: the federated run's total. */
  readonly totalRays: number;
  /** The devices' options (learning rates, total variation, per-round decay, batch size); default the task's. */
  readonly deviceOptions?: RadianceDeviceOptions;
  /**
   * Rays per step; default the devices' batch. A centralized run need not be held to a device's small batch:
   * callers comparing with devices that train on small batches pass a batch a centralized run would use.
   */
  readonly batchSize?: number;
  /** The federated run's rounds (the per-round learning-rate decay is spread over the steps). */
  readonly rounds: number;
  readonly threads: number;
}

/** Trains the task's model centrally on all training views, with the device learning rates. */
export async function trainCentralizedBaseline(
  task: RadianceVoxelGridTask,
  options: CentralizedBaselineOptions,
  observer: CentralizedObserver = {},
): Promise<CentralizedBaseline> {
  const o = options.deviceOptions ?? task.options.deviceOptions;
  const batchSize = options.batchSize ?? o.batchSize;
  const steps = Math.max(1, Math.round(options.totalRays / batchSize));
  const t = task.options;
  const result = await trainCentralized(
    task.dataset,
    {
      ...DEFAULT_CENTRALIZED_OPTIONS,
      seed: t.seed,
      threads: options.threads,
      bbox: t.bbox,
      shDegree: t.shDegree,
      alphaInit: t.alphaInit,
      densityUnitScale: t.densityUnitScale,
      stepRatio: t.stepRatio,
      terminationT: t.terminationT,
      occupancyAlpha: t.occupancyAlpha,
      coarse: { points: 8, steps: 0, weightThreshold: 0, tvDensity: 0, tvColor: 0 },
      fine: [{ points: t.points, steps, weightThreshold: t.weightThreshold, tvDensity: o.tvDensity, tvColor: o.tvColor }],
      batchSize,
      lrDensity: o.lrDensity,
      lrColor: o.lrColor,
      lrFinalFactor: o.lrRoundDecay ** Math.max(0, options.rounds - 1),
    },
    observer,
  );
  const renderer = new GridRenderer(result.grid, result.settings);
  const views = t.evalViews > 0 ? task.dataset.test.slice(0, t.evalViews) : task.dataset.test;
  const evaluation = evaluateViews(renderer, views);
  return { result, renderer, metrics: { psnr: evaluation.psnr, ssim: evaluation.ssim } };
}
