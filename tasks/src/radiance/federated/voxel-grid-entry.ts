// `--task radiance/voxel-grid`: the federated voxel grid on the configured scene (`--data <scene dir>`, or
// the procedural scene); baseline: centralized training on the same grid with the same number of rays.

import type { RunConfig } from '@strata/shared';
import { loadSceneDataset } from '../data/scene-source.js';
import type { SceneDataset } from '../data/scene-dataset.js';
import { DEFAULT_CENTRALIZED_OPTIONS } from '../train/centralized-training.js';
import type { BaselineProgress, TaskEntry } from '../../registry/task-entry.js';
import { trainCentralizedBaseline } from './centralized-baseline.js';
import { parseRadianceOptions, radianceOptionsSchema } from './radiance-task-options.js';
import { RadianceVoxelGridTask } from './radiance-voxel-grid-task.js';

const loaded = new Map<string, SceneDataset>();

/** The task of `config`: its options checked, its scene loaded once per process. */
export function radianceVoxelGridTask(config: RunConfig): RadianceVoxelGridTask {
  const { scene, task } = parseRadianceOptions(config.taskOptions, config.seed);
  const source = {
    data: config.data.path,
    procedural: scene.procedural,
    res: scene.imageRes,
    holdOutEvery: scene.holdOutEvery,
    contraction: scene.contraction,
    seed: config.seed,
  };
  const key = JSON.stringify(source);
  let dataset = loaded.get(key);
  if (!dataset) {
    dataset = loadSceneDataset(source);
    loaded.set(key, dataset);
  }
  return new RadianceVoxelGridTask(dataset, task);
}

/** Rays the federated run trains in total (every selected device answering). */
function federatedRays(config: RunConfig, task: RadianceVoxelGridTask): number {
  const s = config.schedule;
  const devices = Math.ceil((config.topology.devices ?? task.numDevices) * s.fraction);
  return s.rounds * s.kappa2 * devices * s.kappa1 * task.options.deviceOptions.batchSize;
}

/** Centralized training on the task's grid with as many rays as the federated run of `config` trains. */
export async function radianceBaselines(
  config: RunConfig,
  task: RadianceVoxelGridTask,
  progress: BaselineProgress,
): Promise<Record<string, Record<string, number>>> {
  const rays = federatedRays(config, task);
  // Devices train on small batches (more steps for the rays they have); the centralized run keeps centralized
  // training's own batch, its strongest on lego at these rays (13.1M: 32.5 dB at 8192, 32.2 at 4096, 31.8 at 1024).
  const batchSize = Math.max(task.options.deviceOptions.batchSize, DEFAULT_CENTRALIZED_OPTIONS.batchSize);
  const steps = Math.max(1, Math.round(rays / batchSize));
  progress.start(Math.ceil(steps / DEFAULT_CENTRALIZED_OPTIONS.chunkSteps), 'centralized, same rays');
  const baseline = await trainCentralizedBaseline(
    task,
    {
      totalRays: rays,
      batchSize,
      rounds: config.schedule.rounds,
      threads: task.options.threads,
    },
    { progress: (p) => progress.tick(`train psnr ${p.trainPsnr.toFixed(2)}`) },
  );
  const count = rays >= 1e6 ? `${(rays / 1e6).toFixed(1)}M` : rays.toLocaleString('en');
  return { [`centralized (same ${count} rays)`]: baseline.metrics };
}

export const voxelGridEntry: TaskEntry = {
  name: 'radiance/voxel-grid',
  summary:
    'federated voxel-grid radiance field: devices hold disjoint camera views, train under a shared second moment, upload the voxels they touched',
  headlineMetrics: ['psnr', 'ssim'],
  options: radianceOptionsSchema,
  // A grid's honest row norms are heavy-tailed (the surface voxels a ray's weight sits on change far more than the
  // many it passes): clipping rows to 10x the median cut a quarter of a lego round's rows and 0.43 dB.
  runDefaults: { clipFactor: 0 },
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
