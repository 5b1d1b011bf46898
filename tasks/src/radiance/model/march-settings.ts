// How rays are marched through a voxel grid: near/far bounds, sample spacing, the density activation, the
// background colour, and the two shortcuts (early termination, skipping negligible samples).

import { ConfigError } from '@strata/shared';
import type { Vec3 } from './grid-geometry.js';
import { validateContraction, type SceneContraction } from './scene-contraction.js';

export interface MarchSettings {
  /** Rays start no nearer than this (world units along a unit direction). */
  readonly near: number;
  /** ... and end no farther than this. */
  readonly far: number;
  /** Sample spacing in voxels (0.5: two samples per voxel). */
  readonly stepRatio: number;
  /** The colour seen where a ray leaves the scene (white for the Blender scenes). */
  readonly background: Vec3;
  /**
   * Density activation (DVGO): alpha = 1 - (1 + exp(raw + densityShift))^(-step / densityUnit). The shift
   * sets the opacity of an untrained (raw = 0) grid; the unit makes raw values mean the same thing at any
   * resolution, so a coarse grid can be resampled into a fine one.
   */
  readonly densityShift: number;
  readonly densityUnit: number;
  /** Stop a ray once its transmittance falls below this. */
  readonly terminationT: number;
  /** Samples whose compositing weight T*alpha is below this are treated as empty (DVGO's fast colour threshold). */
  readonly weightThreshold: number;
  /**
   * Cells whose 8 corners all have alpha (per sample) below this are skipped, in training and in rendering
   * alike, so a model renders as it was trained.
   */
  readonly occupancyAlpha: number;
  /**
   * Unbounded scenes: the grid spans contracted coordinates (see scene-contraction.ts) and rays march in equal
   * contracted steps out to the contraction's outer bound. Absent or null: the grid's box is in world units.
   */
  readonly contraction?: SceneContraction | null;
}

/** The shift that gives an untrained grid opacity `alpha` per `densityUnit` of ray length. */
export function densityShiftForAlpha(alpha: number): number {
  return Math.log(1 / (1 - alpha) - 1);
}

export function validateMarchSettings(s: MarchSettings): void {
  const bad = (field: string, value: unknown, need: string): never => {
    throw new ConfigError(`march settings: ${field} = ${String(value)}; need ${need}`);
  };
  if (!(s.near >= 0) || !Number.isFinite(s.near)) bad('near', s.near, 'a finite number >= 0');
  if (!(s.far > s.near) || !Number.isFinite(s.far)) bad('far', s.far, `a finite number > near (${s.near})`);
  if (!(s.stepRatio > 0) || !(s.stepRatio <= 4)) bad('stepRatio', s.stepRatio, 'a number in (0, 4]');
  if (!(s.densityUnit > 0) || !Number.isFinite(s.densityUnit)) bad('densityUnit', s.densityUnit, 'a positive number');
  if (!Number.isFinite(s.densityShift)) bad('densityShift', s.densityShift, 'a finite number');
  if (!(s.terminationT >= 0 && s.terminationT < 1)) bad('terminationT', s.terminationT, 'a number in [0, 1)');
  if (!(s.weightThreshold >= 0 && s.weightThreshold < 1)) bad('weightThreshold', s.weightThreshold, 'a number in [0, 1)');
  if (!(s.occupancyAlpha >= 0 && s.occupancyAlpha < 1)) bad('occupancyAlpha', s.occupancyAlpha, 'a number in [0, 1)');
  if (s.background.length !== 3 || s.background.some((c) => !Number.isFinite(c))) bad('background', s.background, 'three finite numbers');
  if (s.contraction) validateContraction(s.contraction, 'march settings');
}
