// `--task radiance/voxel-grid`: the federated voxel grid on the configured scene (`--data <scene dir>`, or
// the procedural scene); baseline: centralized training on the same grid with the same number of rays.

import { ConfigError, type RunConfig } from '@strata/shared';
import { loadSceneDataset } from '../data/scene-source.js';
import type { SceneDataset } from '../data/scene-dataset.js';
import { DEFAULT_CENTRALIZED_OPTIONS } from '../train/centralized-training.js';
import type { BaselineProgress, TaskEntry } from '../../registry/task-entry.js';
import { trainCentralizedBaseline } from './centralized-baseline.js';
import { RADIANCE_TASK_OPTION_KEYS, radianceTaskOptionsFromNumbers } from './radiance-task-options.js';
import { RadianceVoxelGridTask } from './radiance-voxel-grid-task.js';

const LOADING_KEYS = ['image_res', 'hold_out_every', 'procedural'];
const loaded = new Map<string, SceneDataset>();

/** The task of `config`: its scene loaded once per process, its options checked. */
export function radianceVoxelGridTask(config: RunConfig): RadianceVoxelGridTask {
  const o = config.taskOptions;
  const source = {
    data: config.data.path, procedural: (o.procedural ?? 0) !== 0, res: o.image_res ?? 100, holdOutEvery: o.hold_out_every ?? 8, seed: config.seed,
  };
  const key = JSON.stringify(source);
  let dataset = loaded.get(key);
  if (!dataset) {
    dataset = loadSceneDataset(source);
    loaded.set(key, dataset);
  }
  const task = new RadianceVoxelGridTask(dataset, { seed: config.seed, ...radianceTaskOptionsFromNumbers(o) });
  const known = new Set<string>([...Object.keys(task.defaultOptions()), ...RADIANCE_TASK_OPTION_KEYS, ...LOADING_KEYS]);
  const unknown = Object.keys(o).filter((k) => !known.has(k));
  if (unknown.length > 0) throw new ConfigError(`unknown --task-option ${unknown.join(', ')} for ${task.id} (options: ${[...known].join(', ')})`);
  return task;
}

/** Rays the federated run trains in total (every selected device answering). */
function federatedRays(config: RunConfig, task: RadianceVoxelGridTask): number {
  const s = config.schedule;
  const devices = Math.ceil((config.topology.devices ?? task.numDevices) * s.fraction);
  const batch = { ...task.defaultOptions(), ...config.taskOptions }.batch_size;
  return s.rounds * s.kappa2 * devices * s.kappa1 * batch;
}

/** Centralized training on the task's grid with as many rays as the federated run of `config` trains. */
export async function radianceBaselines(
  config: RunConfig, task: RadianceVoxelGridTask, progress: BaselineProgress,
): Promise<Record<string, Record<string, number>>> {
  const rays = federatedRays(config, task);
  const deviceOptions = { ...task.defaultOptions(), ...config.taskOptions };
  // Devices train on small batches (more steps for the rays they have); the centralized run keeps centralized
  // training's own batch, its strongest on lego at these rays (13.1M: 32.5 dB at 8192, 32.2 at 4096, 31.8 at 1024).
  const batchSize = Math.max(deviceOptions.batch_size, DEFAULT_CENTRALIZED_OPTIONS.batchSize);
  const steps = Math.max(1, Math.round(rays / batchSize));
  progress.start(Math.ceil(steps / DEFAULT_CENTRALIZED_OPTIONS.chunkSteps), 'centralized, same rays');
  const baseline = await trainCentralizedBaseline(task, {
    totalRays: rays, deviceOptions, batchSize, rounds: config.schedule.rounds, threads: task.options.threads,
  }, { progress: (p) => progress.tick(`train psnr ${p.trainPsnr.toFixed(2)}`) });
  const count = rays >= 1e6 ? `${(rays / 1e6).toFixed(1)}M` : rays.toLocaleString('en');
  return { [`centralized (same ${count} rays)`]: baseline.metrics };
}

export const voxelGridEntry: TaskEntry = {
  name: 'radiance/voxel-grid',
  summary: 'federated voxel-grid radiance field: devices hold disjoint camera views, train under a shared second moment, upload the voxels they touched',
  headlineMetrics: ['psnr', 'ssim'],
  async create(config) {
    return { task: radianceVoxelGridTask(config), environment: {} };
  },
  async baselines(config, progress) {
    const task = radianceVoxelGridTask(config);
    try {
      return await radianceBaselines(config, task, progress);
    } finally {
      await task.close();
    }
  },
};
