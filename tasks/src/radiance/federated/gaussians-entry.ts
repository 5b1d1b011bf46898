// `--task radiance/gaussians`: federated Gaussian splatting on the configured scene (`--data <scene dir>`, or
// the procedural scene); baseline: centralized Gaussians trained on as many images (pixels) with the same
// stretched schedule.

import { ConfigError, type RunConfig } from '@strata/shared';
import { loadSceneDataset } from '../data/scene-source.js';
import type { SceneDataset } from '../data/scene-dataset.js';
import { GaussianRenderer } from '../render/gaussian-renderer.js';
import { evaluateViews } from '../render/evaluate-views.js';
import { trainGaussians } from '../train/gaussian-training.js';
import type { BaselineProgress, TaskEntry } from '../../registry/task-entry.js';
import { gaussianTaskOptionsSchema, parseGaussianTaskOptions } from './gaussian-task-options.js';
import { RadianceGaussiansTask } from './radiance-gaussians-task.js';

const loaded = new Map<string, SceneDataset>();

/** Images the whole federation trains per cloud round when every selected device answers. */
export function imagesPerRound(config: RunConfig, devices: number): number {
  const s = config.schedule;
  return Math.ceil((config.topology.devices ?? devices) * s.fraction) * s.kappa1 * s.kappa2;
}

/**
 * The task of `config`: its options checked, its scene loaded once per process. The scaffold must reach every
 * device exactly (a row's identity is its index), so the downlink must be lossless and complete, and lossy
 * uploads must not carry a residual into a round where the cloud may have given the row to another Gaussian;
 * and per-row norm clipping, which would cap the statistic's outliers that densification looks for, is off.
 */
export function radianceGaussiansTask(config: RunConfig): RadianceGaussiansTask {
  const d = config.downlink;
  if (d.dtype !== 'float32' || d.rowFraction !== 1 || d.energy !== 1) {
    throw new ConfigError(
      `task radiance/gaussians needs a lossless downlink (the scaffold must reach every device exactly): ` +
        `got dtype ${d.dtype}, rowFraction ${d.rowFraction}, energy ${d.energy}; use --downlink float32 --downlink-rows 1 --downlink-energy 1`,
    );
  }
  if (config.compression.dtype !== 'float32' && config.compression.errorFeedback) {
    throw new ConfigError(
      `task radiance/gaussians: ${config.compression.dtype} uploads need errorFeedback off (a residual would carry into a row the cloud may have reassigned)`,
    );
  }
  if (config.defences.clipFactor > 0) {
    throw new ConfigError(
      `task radiance/gaussians needs per-row norm clipping off (--clip-factor 0, defences.clipFactor; got ${config.defences.clipFactor}): ` +
        'densification seeks the rows with the largest gradients, which clipping caps at a factor of the median row; ' +
        'the per-update stage (updateClipFactor) still bounds a device that scales its update',
    );
  }
  const devices = typeof config.taskOptions.devices === 'number' ? config.taskOptions.devices : 8;
  const options = parseGaussianTaskOptions(config.taskOptions, {
    seed: config.seed,
    rounds: config.schedule.rounds,
    imagesPerRound: imagesPerRound(config, devices),
    kappa1: config.schedule.kappa1,
    kappa2: config.schedule.kappa2,
  });
  const serverLr = config.strategy.options.serverLr ?? 1;
  if (options.combineChanges === 'serverAdam' && (config.schedule.kappa2 !== 1 || config.strategy.name !== 'fedavg' || serverLr !== 1)) {
    throw new ConfigError(
      `task radiance/gaussians: combineChanges 'serverAdam' needs --kappa2 1 and --strategy fedavg at serverLr 1 (devices upload gradients, ` +
        `which the cloud alone turns into a step; got kappa2 ${config.schedule.kappa2}, strategy ${config.strategy.name}, serverLr ${serverLr})`,
    );
  }
  // Contraction is off: the Gaussians live in the scene box (bounded scenes only, for now).
  const source = {
    data: config.data.path,
    procedural: options.procedural,
    res: options.imageRes,
    holdOutEvery: options.holdOutEvery,
    contraction: 'off' as const,
    seed: config.seed,
  };
  const key = JSON.stringify(source);
  let dataset = loaded.get(key);
  if (!dataset) {
    dataset = loadSceneDataset(source);
    loaded.set(key, dataset);
  }
  return new RadianceGaussiansTask(dataset, options);
}

/** Centralized Gaussians trained on as many images as the federated run of `task`, on its stretched schedule. */
export async function gaussianBaselines(
  task: RadianceGaussiansTask,
  progress: BaselineProgress,
): Promise<Record<string, Record<string, number>>> {
  const options = task.schedule;
  progress.start(Math.ceil(options.steps / options.chunkSteps), 'centralized, same pixels');
  const result = trainGaussians(task.dataset, options, { progress: (p) => progress.tick(`train psnr ${p.trainPsnr.toFixed(2)}`) });
  const evaluation = evaluateViews(new GaussianRenderer(result.cloud, task.dataset.background), task.dataset.test);
  const pixels = result.pixels >= 1e6 ? `${(result.pixels / 1e6).toFixed(1)}M` : result.pixels.toLocaleString('en');
  return {
    [`centralized (same ${pixels} pixels)`]: { psnr: evaluation.psnr, ssim: evaluation.ssim, gaussians: result.cloud.count },
  };
}

export const gaussiansEntry: TaskEntry = {
  name: 'radiance/gaussians',
  summary:
    'federated Gaussian splatting: the cloud owns the scaffold and densifies it between rounds from statistics pooled over all views; devices upload the Gaussians they saw',
  headlineMetrics: ['psnr', 'ssim'],
  options: gaussianTaskOptionsSchema,
  // Per-row clipping is refused (radianceGaussiansTask): off unless the run's configuration asks for it.
  runDefaults: { clipFactor: 0 },
  async create(config) {
    return { task: radianceGaussiansTask(config), environment: {} };
  },
  async baselines(config, progress) {
    return gaussianBaselines(radianceGaussiansTask(config), progress);
  },
};
