// Options of the federated voxel-grid task: the zod schema of what a user can set (`--task-option`, a config
// file's taskOptions), from which validation, defaults and help derive; the task's own options (the schema's,
// plus what only code sets: the seed and a fixed box); and the options devices read with every request. The
// grid has one fixed geometry for a whole run (federated models keep one shape from round to round):
// coarse-to-fine growth is a centralized-training feature only.

import { z } from 'zod';
import { ConfigError, parseOptions } from '@strata/shared';
import type { Aabb } from '../model/grid-geometry.js';
import { shBasisSize } from '../model/spherical-harmonics.js';
import type { ViewPartition } from './partition-views.js';

export const RADIANCE_TASK_ID = 'radiance/voxel-grid';

/** What devices read from every training request; the task's defaults travel with each one. */
export const radianceDeviceOptionsSchema = z.strictObject({
  batchSize: z.number().int().min(1).default(512).describe('rays per local step'),
  lrDensity: z.number().min(0).default(0.1).describe('learning rate of the density grid'),
  lrColor: z.number().min(0).default(0.05).describe('learning rate of the colour (spherical-harmonics) grid'),
  lrRoundDecay: z.number().min(0).default(1).describe('learning rates are multiplied by this once per round (round r: lr * decay^(r-1))'),
  tvDensity: z.number().min(0).default(0).describe('total-variation weight on density'),
  tvColor: z.number().min(0).default(0).describe('total-variation weight on colour'),
  adamEpsilon: z
    .number()
    .min(0)
    .default(1e-15)
    .describe("Adam's epsilon: gradients far below it barely move a point, so noise does not kick untrained points"),
  sharedMomentDivisor: z
    .number()
    .positive()
    .default(8)
    .describe('the shared second moment is divided by this before use (it pools single device steps)'),
  sharedStepClip: z.number().positive().default(2).describe('under the shared moment, one step is at most this many learning rates'),
  uploadShare: z
    .number()
    .gt(0)
    .max(1)
    .default(1)
    .describe(
      'a device uploads this share of the points it touched, those whose change (with what it held back) is largest; the rest waits on the device (needs sharedSecondMoment)',
    ),
  heldAsZero: z
    .number()
    .int()
    .min(0)
    .max(1)
    .default(0)
    .describe(
      "pruned uploads: 1 also sends a bitmask of the touched points held back, each counted as a zero change in the point's mean (every device that changed a point weighs in); 0: the devices that sent a point alone set it",
    ),
});

export type RadianceDeviceOptions = z.output<typeof radianceDeviceOptionsSchema>;

export const DEFAULT_RADIANCE_DEVICE_OPTIONS: RadianceDeviceOptions = radianceDeviceOptionsSchema.parse({});

/** Everything `--task-option` can set for radiance/voxel-grid (the seed is the run's `--seed`). */
export const radianceOptionsSchema = radianceDeviceOptionsSchema.extend({
  imageRes: z.number().int().min(8).default(100).describe('image width in pixels the scene is loaded at'),
  holdOutEvery: z.number().int().min(2).default(8).describe('views i with i % n == 0 are held out for evaluation'),
  procedural: z.boolean().default(false).describe('train on the procedural scene (known ground truth, no files) instead of --data'),
  contraction: z
    .enum(['auto', 'on', 'off'])
    .default('auto')
    .describe('scene contraction for unbounded backgrounds: auto contracts beyond the cameras unless the scene looks bounded'),
  devices: z.number().int().min(1).default(8).describe('devices the training views are split over'),
  partition: z
    .enum(['azimuth', 'random'])
    .default('azimuth')
    .describe('how views are split over devices: contiguous camera-azimuth arcs, or at random'),
  grid: z.number().int().min(2).default(96).describe('the grid has about grid^3 points over the scene box (cubic voxels)'),
  shDegree: z.number().int().min(0).max(2).default(1).describe('spherical-harmonics degree of the colour'),
  alphaInit: z.number().gt(0).lt(1).default(1e-4).describe('opacity per density unit of the initial (all-zero) model'),
  densityUnitScale: z
    .number()
    .positive()
    .default(0.25)
    .describe('density unit as a fraction of the voxel size of this many points over the scene box'),
  stepRatio: z.number().positive().default(0.5).describe('ray-march step as a fraction of the voxel size'),
  weightThreshold: z.number().min(0).default(1e-4).describe('samples whose compositing weight is below this are skipped'),
  terminationT: z.number().min(0).lt(1).default(1e-3).describe('a ray stops once its transmittance falls below this'),
  occupancyAlpha: z
    .number()
    .min(0)
    .lt(1)
    .default(1e-4)
    .describe('devices skip cells whose corners all have alpha below this in the model they receive'),
  threads: z.number().int().min(1).default(1).describe('threads a device trains with'),
  sharedSecondMoment: z
    .boolean()
    .default(true)
    .describe("devices step under one second moment per point pooled over all devices, instead of each its own Adam's"),
  evalViews: z.number().int().min(0).default(0).describe('held-out views the central evaluation renders (0: all)'),
  snapshotViews: z.number().int().min(0).default(1).describe('held-out views whose renders each evaluation keeps for reports'),
});

export type RadianceUserOptions = z.output<typeof radianceOptionsSchema>;

/** The task's options: the user's construction options as code holds them, plus what only code sets. */
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
  /** What devices read with every request (sent by the runtime; the task's defaults). */
  readonly deviceOptions: RadianceDeviceOptions;
}

function taskOptionsFrom(user: RadianceUserOptions, seed: number): RadianceTaskOptions {
  const { grid, imageRes: _imageRes, holdOutEvery: _holdOutEvery, procedural: _procedural, contraction: _contraction, ...rest } = user;
  const deviceOptions = Object.fromEntries(
    Object.keys(radianceDeviceOptionsSchema.shape).map((key) => [key, user[key as keyof RadianceDeviceOptions]]),
  ) as RadianceDeviceOptions;
  const construction = Object.fromEntries(Object.entries(rest).filter(([key]) => !(key in deviceOptions)));
  return {
    ...(construction as Omit<RadianceTaskOptions, 'seed' | 'points' | 'bbox' | 'deviceOptions'>),
    seed,
    points: grid ** 3,
    bbox: null,
    deviceOptions,
  };
}

export const DEFAULT_RADIANCE_TASK_OPTIONS: RadianceTaskOptions = taskOptionsFrom(radianceOptionsSchema.parse({}), 0);

/**
 * A user's options (`--task-option`, keys of radianceOptionsSchema) as the scene to load and the task's
 * options; a bad or unknown option is a ConfigError naming it and the allowed ones.
 */
export function parseRadianceOptions(
  options: Readonly<Record<string, unknown>>,
  seed: number,
): { scene: Pick<RadianceUserOptions, 'imageRes' | 'holdOutEvery' | 'procedural' | 'contraction'>; task: RadianceTaskOptions } {
  const user = parseOptions('task radiance/voxel-grid', radianceOptionsSchema, options);
  return {
    scene: { imageRes: user.imageRes, holdOutEvery: user.holdOutEvery, procedural: user.procedural, contraction: user.contraction },
    task: taskOptionsFrom(user, seed),
  };
}

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
  if (o.deviceOptions.uploadShare < 1 && !o.sharedSecondMoment) {
    bad('uploadShare', o.deviceOptions.uploadShare, '1 without the shared second moment (sharedSecondMoment=false)');
  }
  resolveDeviceOptions(o.deviceOptions);
}

/** Device options from a request's numeric map, defaults filled in; a bad value names its key. */
export function resolveDeviceOptions(options: Readonly<Record<string, number>>): RadianceDeviceOptions {
  const known = Object.fromEntries(Object.entries(options).filter(([key]) => key in radianceDeviceOptionsSchema.shape));
  return parseOptions('radiance device', radianceDeviceOptionsSchema, known);
}
