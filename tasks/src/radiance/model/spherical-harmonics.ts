// Real spherical harmonics for view-dependent colour (the basis and constants of Plenoxels / svox2), so a
// voxel stores (degree + 1)^2 coefficients per colour channel.

import { ConfigError } from '@strata/shared';

const C0 = 0.28209479177387814;
const C1 = 0.4886025119029199;
const C2 = [1.0925484305920792, -1.0925484305920792, 0.31539156525252005, -1.0925484305920792, 0.5462742152960396];

export const MAX_SH_DEGREE = 2;

/** Number of basis functions for `degree`. */
export function shBasisSize(degree: number): number {
  if (!Number.isInteger(degree) || degree < 0 || degree > MAX_SH_DEGREE) {
    throw new ConfigError(`spherical harmonics degree ${degree} must be an integer in [0, ${MAX_SH_DEGREE}]`);
  }
  return (degree + 1) * (degree + 1);
}

/** Writes the basis evaluated at the unit direction (x, y, z) into `out[0 .. basisSize)`. */
export function evalShBasis(degree: number, x: number, y: number, z: number, out: Float32Array): void {
  out[0] = C0;
  if (degree < 1) return;
  out[1] = -C1 * y;
  out[2] = C1 * z;
  out[3] = -C1 * x;
  if (degree < 2) return;
  out[4] = C2[0] * x * y;
  out[5] = C2[1] * y * z;
  out[6] = C2[2] * (2 * z * z - x * x - y * y);
  out[7] = C2[3] * x * z;
  out[8] = C2[4] * (x * x - y * y);
}
