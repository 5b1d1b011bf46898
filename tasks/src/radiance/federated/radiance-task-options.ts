// Options of the federated voxel-grid task, with their defaults and validation. The grid has one fixed
// geometry for a whole run (federated models keep one shape from round to round): coarse-to-fine growth is
// a centralized-training feature only.

import { ConfigError } from '@strata/shared';
import type { Aabb } from '../model/grid-geometry.js';
import { shBasisSize } from '../model/spherical-harmonics.js';
import type { ViewPartition } from './partition-views.js';

export interface RadianceTaskOptions {
  readonly seed: number;
  /** Devices the training views are split over. */
  readonly devices: number;
  readonly partition: ViewPartition;
  /** Grid points (the grid is sized to about this many over the box, with cubic voxels). */
  readonly points: number;
  /** The box the grid spans; null: the data set's scene box. */
  readonly bbox: Aabb | null;
  readonly shDegree: number;
  /** Opacity per density unit of the initial (all-zero) model. */
  readonly alphaInit: number;
  /** Density unit as a fraction of the voxel size of this many points over the scene box (see MarchSettings). */
  readonly densityUnitScale: number;
  readonly stepRatio: number;
  readonly weightThreshold: number;
  readonly terminationT: number;
  /**
   * Devices skip cells whose corners all have alpha below this in the model they receive. Below the
   * initial model's alpha, so cells nobody has observed yet stay marched and only observed-empty space is
   * skipped.
   */
  readonly occupancyAlpha: number;
  /** Threads a device trains with (devices train one at a time in a simulation). */
  readonly threads: number;
  /**
   * Devices step under one second moment per point pooled over all devices (see shared-second-moment.ts)
   * instead of each its own Adam's; the model carries it as two more tensors.
   */
  readonly sharedSecondMoment: boolean;
  /** Held-out views the central evaluation renders (0: all). */
  readonly evalViews: number;
  /** Held-out views whose renders are kept at each evaluation for reports (the first n). */
  readonly snapshotViews: number;
}

export const DEFAULT_RADIANCE_TASK_OPTIONS: RadianceTaskOptions = {
  seed: 0,
  devices: 8,
  partition: 'azimuth',
  points: 96 ** 3,
  bbox: null,
  shDegree: 1,
  alphaInit: 1e-4,
  densityUnitScale: 0.25,
  stepRatio: 0.5,
  weightThreshold: 1e-4,
  terminationT: 1e-3,
  occupancyAlpha: 1e-4,
  threads: 1,
  sharedSecondMoment: true,
  evalViews: 0,
  snapshotViews: 1,
};

/** Per-round device options (the runtime sends them with every request; strings are their keys). */
export interface RadianceDeviceOptions {
  /** Rays per local step. */
  readonly batch_size: number;
  readonly lr_density: number;
  readonly lr_color: number;
  /** Learning rates are multiplied by this once per round (round r uses lr * decay^(r-1)). */
  readonly lr_round_decay: number;
  readonly tv_density: number;
  readonly tv_color: number;
  /** Adam's epsilon: gradients far below it barely move a point, so noise does not kick untrained points. */
  readonly adam_epsilon: number;
  /**
   * The shared second moment is divided by this before use: it pools single device steps, and the gradient of
   * the devices' steps together is less noisy.
   */
  readonly shared_moment_divisor: number;
  /** Under the shared moment, one step is at most this many learning rates. */
  readonly shared_step_clip: number;
}

export const DEFAULT_RADIANCE_DEVICE_OPTIONS: RadianceDeviceOptions = {
  batch_size: 512,
  lr_density: 0.1,
  lr_color: 0.05,
  lr_round_decay: 1,
  tv_density: 0,
  tv_color: 0,
  adam_epsilon: 1e-15,
  shared_moment_divisor: 8,
  shared_step_clip: 2,
};

export function validateRadianceTaskOptions(o: RadianceTaskOptions): void {
  const bad = (name: string, value: unknown, need: string): never => {
    throw new ConfigError(`radiance task option ${name} = ${JSON.stringify(value)}; need ${need}`);
  };
  if (!Number.isInteger(o.devices) || o.devices < 1) bad('devices', o.devices, 'a positive integer');
  if (!(o.points >= 8)) bad('points', o.points, 'at least 8');
  if (!Number.isInteger(o.threads) || o.threads < 1) bad('threads', o.threads, 'a positive integer');
  if (!Number.isInteger(o.evalViews) || o.evalViews < 0) bad('evalViews', o.evalViews, 'an integer >= 0');
  if (!Number.isInteger(o.snapshotViews) || o.snapshotViews < 0) bad('snapshotViews', o.snapshotViews, 'an integer >= 0');
  if (!(o.alphaInit > 0 && o.alphaInit < 1)) bad('alphaInit', o.alphaInit, 'a number in (0, 1)');
  if (!(o.densityUnitScale > 0)) bad('densityUnitScale', o.densityUnitScale, 'a positive number');
  if (!(o.occupancyAlpha >= 0 && o.occupancyAlpha < 1)) bad('occupancyAlpha', o.occupancyAlpha, 'a number in [0, 1)');
  shBasisSize(o.shDegree);
}

/** Device options from the runtime's numeric map, defaults filled in; a bad value names its key. */
export function resolveDeviceOptions(options: Readonly<Record<string, number>>): RadianceDeviceOptions {
  const out = { ...DEFAULT_RADIANCE_DEVICE_OPTIONS };
  for (const key of Object.keys(DEFAULT_RADIANCE_DEVICE_OPTIONS) as (keyof RadianceDeviceOptions)[]) {
    const value = options[key];
    if (value === undefined) continue;
    if (!Number.isFinite(value) || value < 0) throw new ConfigError(`radiance device option ${key} = ${value}; need a finite number >= 0`);
    out[key] = value;
  }
  if (!Number.isInteger(out.batch_size) || out.batch_size < 1) {
    throw new ConfigError(`radiance device option batch_size = ${out.batch_size}; need a positive integer`);
  }
  for (const key of ['shared_moment_divisor', 'shared_step_clip'] as const) {
    if (!(out[key] > 0)) throw new ConfigError(`radiance device option ${key} = ${out[key]}; need a number > 0`);
  }
  return out;
}

/** The numeric construction options a command line can pass (`--task-option key=value`), by key. */
export const RADIANCE_TASK_OPTION_KEYS = [
  'devices', 'res', 'points', 'sh_degree', 'random_partition', 'shared_second_moment', 'threads', 'eval_views', 'snapshot_views',
  'alpha_init', 'density_unit_scale', 'step_ratio', 'weight_threshold', 'occupancy_alpha',
] as const;

/** Task options from numeric key=value pairs (`res` n means n^3 points); unknown keys are left to the caller. */
export function radianceTaskOptionsFromNumbers(values: Readonly<Record<string, number>>): Partial<RadianceTaskOptions> {
  const out: { -readonly [K in keyof RadianceTaskOptions]?: RadianceTaskOptions[K] } = {};
  const v = (key: string): number | undefined => values[key];
  if (v('devices') !== undefined) out.devices = v('devices');
  if (v('res') !== undefined) out.points = (v('res') as number) ** 3;
  if (v('points') !== undefined) out.points = v('points');
  if (v('sh_degree') !== undefined) out.shDegree = v('sh_degree');
  if (v('random_partition') !== undefined) out.partition = v('random_partition') ? 'random' : 'azimuth';
  if (v('shared_second_moment') !== undefined) out.sharedSecondMoment = v('shared_second_moment') !== 0;
  if (v('threads') !== undefined) out.threads = v('threads');
  if (v('eval_views') !== undefined) out.evalViews = v('eval_views');
  if (v('snapshot_views') !== undefined) out.snapshotViews = v('snapshot_views');
  if (v('alpha_init') !== undefined) out.alphaInit = v('alpha_init');
  if (v('density_unit_scale') !== undefined) out.densityUnitScale = v('density_unit_scale');
  if (v('step_ratio') !== undefined) out.stepRatio = v('step_ratio');
  if (v('weight_threshold') !== undefined) out.weightThreshold = v('weight_threshold');
  if (v('occupancy_alpha') !== undefined) out.occupancyAlpha = v('occupancy_alpha');
  return out;
}
