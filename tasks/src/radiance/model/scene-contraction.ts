// Scene contraction for unbounded scenes (mip-NeRF 360, Barron et al., CVPR 2022), with the L-infinity norm
// (as Zip-NeRF and nerfstudio offer) so that all of space maps onto a cube, which a voxel grid fills with no
// corner wasted. A world point x is first put in inner-box units, u = (x - centre) / radius; inside the inner
// box (|u|inf <= 1) it stays, outside it maps to (2 - 1/r) u / r with r = |u|inf, so everything out to infinity
// lands in the shell between the cubes of half-size 1 and 2: the background gets resolution that falls with
// distance, as the parallax that could resolve it does.
//
// A voxel grid of a contracted scene spans the contracted cube [-2, 2]^3 (or a box inside it); rays are
// marched in equal steps of contracted length, and densities are per contracted length, so a step's opacity
// does not grow with its world length far away.

import { ConfigError } from '@strata/shared';
import type { Aabb, Vec3 } from './grid-geometry.js';

export interface SceneContraction {
  /** The inner box's centre (world). */
  readonly center: Vec3;
  /** The inner box's half-size (world units): the region modelled at full, uncontracted resolution. */
  readonly radius: number;
  /**
   * Rays end where |u|inf reaches this (> 1, in inner-box units): a crop such as instant-ngp's aabb_scale, or
   * far enough away that the rest of the ray would fall within the outermost voxel.
   */
  readonly outer: number;
}

/** The cube all of space contracts into. */
export const CONTRACTED_BOX: Aabb = { min: [-2, -2, -2], max: [2, 2, 2] };

/** A default `outer` for scenes with no crop: the contracted point is then within 1e-3 of the cube's face. */
export const UNBOUNDED_OUTER = 1000;

/** The contracted coordinates of world point `x`. */
export function contractPoint(contraction: SceneContraction, x: Vec3): Vec3 {
  const u = [0, 1, 2].map((a) => (x[a] - contraction.center[a]) / contraction.radius);
  const r = Math.max(Math.abs(u[0]), Math.abs(u[1]), Math.abs(u[2]));
  const g = r <= 1 ? 1 : (2 * r - 1) / (r * r);
  return [u[0] * g, u[1] * g, u[2] * g];
}

/**
 * Contracts the point `u` (inner-box units, |u|inf > 1) in place and returns the world-length step that moves
 * the contracted point by `step` along `w` (the ray direction in inner-box units, du/dt). With r = |u|inf
 * reached on axis a, p = g(r) u for g(r) = 2/r - 1/r^2, so dp/dt = g w + g'(r) sign(u_a) w_a u.
 */
export function contractOuter(u: Float64Array, w: Float64Array, step: number): number {
  const ax = Math.abs(u[0]),
    ay = Math.abs(u[1]),
    az = Math.abs(u[2]);
  const a = ax >= ay ? (ax >= az ? 0 : 2) : ay >= az ? 1 : 2;
  const r = Math.abs(u[a]);
  const inv = 1 / r;
  const g = inv * (2 - inv);
  const k = 2 * (1 - r) * inv * inv * inv * (u[a] > 0 ? w[a] : -w[a]);
  const vx = g * w[0] + k * u[0],
    vy = g * w[1] + k * u[1],
    vz = g * w[2] + k * u[2];
  u[0] *= g;
  u[1] *= g;
  u[2] *= g;
  return step / Math.sqrt(vx * vx + vy * vy + vz * vz);
}

export function validateContraction(c: SceneContraction, what: string): void {
  if (!Array.isArray(c.center) || c.center.length !== 3 || c.center.some((v) => !Number.isFinite(v))) {
    throw new ConfigError(`${what}: contraction.center ${JSON.stringify(c.center)}; need three finite numbers`);
  }
  if (!(c.radius > 0) || !Number.isFinite(c.radius)) {
    throw new ConfigError(`${what}: contraction.radius ${c.radius}; need a positive number`);
  }
  if (!(c.outer > 1) || !Number.isFinite(c.outer)) throw new ConfigError(`${what}: contraction.outer ${c.outer}; need a finite number > 1`);
}

/** Whether `box` (contracted coordinates) lies in the inner box, where contraction is the identity. */
export function withinInnerBox(box: Aabb): boolean {
  return box.min.every((v) => v >= -1) && box.max.every((v) => v <= 1);
}
