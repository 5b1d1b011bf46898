// Options of centralized Gaussian-splatting training: the zod schema (validation, defaults and help derive
// from it). Defaults follow 3DGS (Kerbl et al. 2023) with the schedule shortened for 100x100 images and a
// CPU budget: 3000 steps of one image each (3DGS: 30000), 5000 random initial Gaussians (3DGS: 100000),
// densification every 100 steps until 2000, opacity resets every 1500 (none in the last 500), one SH degree more
// every 500 steps.

import { z } from 'zod';
import { parseOptions } from '@strata/shared';

export const gaussianTrainingOptionsSchema = z.strictObject({
  seed: z.number().int().default(1).describe('random seed (initialisation and view order)'),
  steps: z.number().int().min(1).default(3000).describe('optimisation steps, one training image each'),
  initialCount: z.number().int().min(1).default(5000).describe('Gaussians placed uniformly at random in the scene box'),
  initialOpacity: z.number().gt(0).lt(1).default(0.1).describe('opacity of the initial Gaussians'),
  maxShDegree: z.number().int().min(0).max(3).default(3).describe('highest spherical-harmonics degree of the colour'),
  shDegreeEvery: z.number().int().min(1).default(500).describe('the SH degree in use grows by one every this many steps'),
  lrPosition: z.number().min(0).default(1.6e-4).describe('position learning rate, times the scene extent, at step 1'),
  lrPositionFinal: z.number().min(0).default(1.6e-6).describe('position learning rate, times the scene extent, at the last step'),
  lrScale: z.number().min(0).default(0.005).describe('log-scale learning rate'),
  lrRotation: z.number().min(0).default(0.001).describe('quaternion learning rate'),
  lrOpacity: z.number().min(0).default(0.05).describe('opacity-logit learning rate'),
  lrColor: z.number().min(0).default(0.0025).describe('learning rate of the DC colour coefficients (higher degrees: a twentieth)'),
  densifyFrom: z.number().int().min(0).default(500).describe('first step of adaptive density control'),
  densifyUntil: z.number().int().min(0).default(2000).describe('last step of adaptive density control'),
  densifyEvery: z.number().int().min(1).default(100).describe('steps between densify-and-prune passes'),
  densifyGradThreshold: z
    .number()
    .positive()
    .default(0.0002)
    .describe('mean screen-space position gradient (NDC) above which a Gaussian is cloned or split'),
  percentDense: z
    .number()
    .positive()
    .default(0.01)
    .describe('Gaussians smaller than this fraction of the extent are cloned, larger ones split'),
  pruneOpacity: z.number().min(0).default(0.005).describe('Gaussians below this opacity are pruned'),
  opacityResetEvery: z.number().int().min(1).default(1500).describe('opacities are capped at 0.01 every this many steps'),
  opacityResetRecovery: z
    .number()
    .int()
    .min(0)
    .default(500)
    .describe('no opacity reset within this many steps of the end (opacities need steps to grow back)'),
  maxCount: z.number().int().min(1).default(300000).describe('densification stops adding Gaussians past this count'),
  chunkSteps: z.number().int().min(1).default(100).describe('steps between progress reports'),
});

export type GaussianTrainingOptions = z.output<typeof gaussianTrainingOptionsSchema>;

export function parseGaussianTrainingOptions(input: Record<string, unknown>): GaussianTrainingOptions {
  return parseOptions('gaussian training', gaussianTrainingOptionsSchema, input);
}
