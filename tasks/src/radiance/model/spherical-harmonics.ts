// Real spherical harmonics for view-dependent colour (the basis and constants of Plenoxels / svox2), so a
// voxel stores (degree + 1)^2 coefficients per colour channel. Degree 3 (3DGS's basis and order) serves Gaussians.

import { ConfigError } from '@strata/shared';

const C0 = 0.28209479177387814;
const C1 = 0.4886025119029199;
const C2 = [1.0925484305920792, -1.0925484305920792, 0.31539156525252005, -1.0925484305920792, 0.5462742152960396];
const C3 = [
  -0.5900435899266435, 2.890611442640554, -0.4570457994644658, 0.3731763325901154, -0.4570457994644658, 1.445305721320277,
  -0.5900435899266435,
];

/** The voxel grid's highest degree (its memory grows with the basis per grid point). */
export const MAX_SH_DEGREE = 2;
/** Gaussians go to degree 3, as the standard 3DGS files store them (f_rest_0 .. f_rest_44). */
export const MAX_GAUSSIAN_SH_DEGREE = 3;

/** Number of basis functions for `degree`. */
export function shBasisSize(degree: number, maxDegree = MAX_SH_DEGREE): number {
  if (!Number.isInteger(degree) || degree < 0 || degree > maxDegree) {
    throw new ConfigError(`spherical harmonics degree ${degree} must be an integer in [0, ${maxDegree}]`);
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
  if (degree < 3) return;
  const xx = x * x,
    yy = y * y,
    zz = z * z;
  out[9] = C3[0] * y * (3 * xx - yy);
  out[10] = C3[1] * x * y * z;
  out[11] = C3[2] * y * (4 * zz - xx - yy);
  out[12] = C3[3] * z * (2 * zz - 3 * xx - 3 * yy);
  out[13] = C3[4] * x * (4 * zz - xx - yy);
  out[14] = C3[5] * z * (xx - yy);
  out[15] = C3[6] * x * (xx - 3 * yy);
}
