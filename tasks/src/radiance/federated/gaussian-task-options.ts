// Options of the federated Gaussian task (`radiance/gaussians`): the zod schema of what a user can set, from
// which validation, defaults and help derive. The training recipe's options are centralized training's own
// (gaussian-training-options.ts), and so is its schedule: density control, opacity resets and the SH degree
// are given in steps of the default 3000-step centralized run, stretched to the images the federation trains
// in total, and each falls after the round in which the federation reaches that many images. The centralized
// baseline runs the same stretched schedule, so the two differ in where training happens only.

import { z } from 'zod';
import { ConfigError, parseOptions } from '@strata/shared';
import { gaussianTrainingOptionsSchema, type GaussianTrainingOptions } from '../train/gaussian-training-options.js';
import { radianceOptionsSchema } from './radiance-task-options.js';

/** What devices read from every training request (the task's defaults travel with each one). */
export const gaussianDeviceOptionsSchema = gaussianTrainingOptionsSchema
  .pick({ lrPosition: true, lrPositionFinal: true, lrScale: true, lrRotation: true, lrOpacity: true, lrColor: true })
  .extend({
    rounds: z.number().int().min(1).default(1).describe('cloud rounds of the run (set by the run: the position rate decays over them)'),
    shDegreeRounds: z.number().positive().default(1).describe('rounds per SH degree step (set by the run from shDegreeEvery)'),
    maxShDegree: gaussianTrainingOptionsSchema.shape.maxShDegree,
    uploadStraightness: z
      .union([z.literal(0), z.literal(1)])
      .default(0)
      .describe("1: upload the straightness of each Gaussian's path (set by the run when the cloud combines changes by it)"),
    uploadGradients: z
      .union([z.literal(0), z.literal(1)])
      .default(0)
      .describe(
        "1: upload each Gaussian's gradient summed over the device's images at the model it received, without a local step (set by the run when the cloud runs Adam: combineChanges 'serverAdam')",
      ),
    uploadScale: z
      .number()
      .positive()
      .default(2.5)
      .describe(
        "a device uploads its Gaussians' change times this (a server learning rate on the parameters; the statistic keeps its scale): with combineChanges 'mean', a federation of k devices otherwise makes about 1/k of centralized training's progress per image",
      ),
  });

export type GaussianDeviceOptions = z.output<typeof gaussianDeviceOptionsSchema>;

/** Everything `--task-option` can set for radiance/gaussians (the seed is the run's `--seed`). */
export const gaussianTaskOptionsSchema = gaussianTrainingOptionsSchema
  .omit({ seed: true, steps: true, chunkSteps: true, maxCount: true })
  .extend(
    radianceOptionsSchema.pick({
      imageRes: true,
      holdOutEvery: true,
      procedural: true,
      devices: true,
      partition: true,
      evalViews: true,
      snapshotViews: true,
    }).shape,
  )
  .extend({
    uploadScale: gaussianDeviceOptionsSchema.shape.uploadScale,
    combineChanges: z
      .enum(['mean', 'sum', 'straightness', 'serverAdam'])
      .default('serverAdam')
      .describe(
        "how the cloud combines the devices' changes of a Gaussian: 'serverAdam' (the default: devices upload gradients over their images at the model they received, the cloud takes one large-batch Adam step a round with moments it keeps per Gaussian, within 1 dB of centralized on lego at κ1 1; needs κ2 = 1 and the fedavg strategy at serverLr 1), 'mean' (FedAvg of the devices' local Adam changes: about one device's steps, so k devices make 1/k of centralized training's progress per image), 'sum' (the changes add up as centralized steps would, but overshoot where devices each reached the optimum), 'straightness' (per parameter group, the sum where the devices' Adam paths ran straight, the mean where they turned back)",
      ),
    serverLrExponent: z
      .number()
      .min(0)
      .max(1)
      .default(0.5)
      .describe(
        "with combineChanges 'serverAdam': the cloud's learning rates are centralized training's times B^this, B the images of a round (Grendel's large-batch scaling: 0.5); its Adam betas are raised to the power B",
      ),
    serverBatch: z
      .enum(['round', 'views'])
      .default('round')
      .describe(
        "with combineChanges 'serverAdam': the batch a Gaussian's step stands for, all the round's images ('round') or those that saw it ('views': its rate and betas scale with that count, as that many sequential sparse-Adam steps would)",
      ),
    resetOpacity: z
      .boolean()
      .optional()
      .describe(
        "the cloud caps every opacity at 0.01 on centralized training's reset schedule (opacityResetEvery); default on with combineChanges 'serverAdam' (as centralized training), off with the others: there the Gaussians climb back over sequential steps, of which the federation makes 1/k of centralized training's, and the devices' changes added up after a reset overshoot",
      ),
    capacity: z
      .number()
      .int()
      .min(1)
      .default(40000)
      .describe('rows of the model: the most Gaussians the scaffold can hold (densification stops when it is full)'),
  });

export type GaussianTaskUserOptions = z.output<typeof gaussianTaskOptionsSchema>;

/** The task's options: the user's, the run's seed, and what the run's schedule fixes. */
export interface GaussianTaskOptions extends GaussianTaskUserOptions {
  /** Resolved: the user's, else on under combineChanges 'serverAdam' only. */
  readonly resetOpacity: boolean;
  readonly seed: number;
  readonly rounds: number;
  /** Images the whole federation trains per cloud round (devices × κ1 × κ2). */
  readonly imagesPerRound: number;
  /** κ1: images a device trains (or takes gradients over) per edge iteration. */
  readonly kappa1: number;
  /** κ2: edge iterations per cloud round (a row's device count at the cloud is summed over them). */
  readonly kappa2: number;
}

/** The step-schedule options the stretch applies to (steps of the default centralized run). */
const SCHEDULE_KEYS = [
  'densifyFrom',
  'densifyUntil',
  'densifyEvery',
  'opacityResetEvery',
  'opacityResetRecovery',
  'shDegreeEvery',
] as const;

/** Steps of the default centralized run, the frame the schedule options are given in. */
export const GAUSSIAN_SCHEDULE_FRAME = gaussianTrainingOptionsSchema.shape.steps.parse(undefined);

/**
 * Centralized training options for `steps` images with the schedule of `options` (given on the 3000-step
 * frame) stretched to them: the federated run's schedule in images, and its centralized baseline.
 */
export function stretchedTrainingOptions(options: GaussianTaskOptions, steps: number): GaussianTrainingOptions {
  const stretch = steps / GAUSSIAN_SCHEDULE_FRAME;
  const schedule = Object.fromEntries(SCHEDULE_KEYS.map((key) => [key, Math.max(1, Math.round(options[key] * stretch))]));
  const fields = Object.keys(gaussianTrainingOptionsSchema.shape).filter(
    (key) => key in options && !(SCHEDULE_KEYS as readonly string[]).includes(key),
  );
  return gaussianTrainingOptionsSchema.parse({
    ...Object.fromEntries(fields.map((key) => [key, options[key as keyof GaussianTaskOptions]])),
    ...schedule,
    seed: options.seed,
    steps,
    maxCount: options.capacity,
  });
}

/** A user's options as the scene to load and the task's options; a bad or unknown one is a ConfigError naming it. */
export function parseGaussianTaskOptions(
  input: Readonly<Record<string, unknown>>,
  run: { seed: number; rounds: number; imagesPerRound: number; kappa1: number; kappa2: number },
): GaussianTaskOptions {
  const user = parseOptions('task radiance/gaussians', gaussianTaskOptionsSchema, input);
  if (user.initialCount > user.capacity) {
    throw new ConfigError(`task radiance/gaussians: initialCount ${user.initialCount} exceeds capacity ${user.capacity}`);
  }
  if (!(Number.isInteger(run.imagesPerRound) && run.imagesPerRound >= 1)) {
    throw new ConfigError(`task radiance/gaussians: images per round ${run.imagesPerRound} must be a positive integer`);
  }
  return { ...user, resetOpacity: user.resetOpacity ?? user.combineChanges === 'serverAdam', ...run };
}

/** Device options from a request's numeric map, defaults filled in; a bad value names its key. */
export function resolveGaussianDeviceOptions(options: Readonly<Record<string, number>>): GaussianDeviceOptions {
  const known = Object.fromEntries(Object.entries(options).filter(([key]) => key in gaussianDeviceOptionsSchema.shape));
  return parseOptions('gaussian device', gaussianDeviceOptionsSchema, known);
}
