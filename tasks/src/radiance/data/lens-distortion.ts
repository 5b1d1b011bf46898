// Lens distortion of captured images, in the models COLMAP, OpenCV and nerfstudio use, on normalised image
// coordinates (x right, y down, z forward: the OpenCV camera). Rays are generated through the inverse model
// (each pixel's distorted coordinates are undistorted to a direction), so images are used as captured, with no
// resampling: a pixel's colour is compared with the ray that really produced it.

/**
 * OpenCV's radial-tangential model (COLMAP's SIMPLE_RADIAL, RADIAL, OPENCV and FULL_OPENCV): for r^2 = x^2 + y^2,
 * radial factor (1 + k1 r^2 + k2 r^4 + ...) / (1 + d1 r^2 + d2 r^4 + ...), plus tangential p1, p2.
 */
export interface RadialTangentialDistortion {
  readonly model: 'radial-tangential';
  /** Numerator coefficients of r^2, r^4, ... (k1, k2, k3; nerfstudio's k4 multiplies r^8). */
  readonly radial: readonly number[];
  /** Denominator coefficients of r^2, r^4, r^6 (FULL_OPENCV's k4, k5, k6); empty for a polynomial. */
  readonly radialDenominator: readonly number[];
  readonly p1: number;
  readonly p2: number;
}

/**
 * The equidistant fisheye (OpenCV's fisheye module, COLMAP's OPENCV_FISHEYE, SIMPLE_RADIAL_FISHEYE and
 * RADIAL_FISHEYE): a ray at angle theta from the axis lands at radius theta (1 + k1 theta^2 + k2 theta^4 + ...).
 */
export interface FisheyeDistortion {
  readonly model: 'fisheye';
  readonly coefficients: readonly number[];
}

export type LensDistortion = RadialTangentialDistortion | FisheyeDistortion;

/** A distortion that does nothing is dropped, so undistorted cameras take the pinhole path. */
export function normalizeDistortion(d: LensDistortion | null): LensDistortion | null {
  if (d === null) return null;
  if (d.model === 'fisheye') return d;
  const zero = (k: number): boolean => k === 0;
  return d.radial.every(zero) && d.radialDenominator.every(zero) && d.p1 === 0 && d.p2 === 0 ? null : d;
}

function polyR2(coefficients: readonly number[], r2: number): number {
  let acc = 0;
  for (let i = coefficients.length - 1; i >= 0; i--) acc = (acc + coefficients[i]) * r2;
  return 1 + acc;
}

/** d/d(r2) of polyR2. */
function polyR2Slope(coefficients: readonly number[], r2: number): number {
  let acc = 0;
  for (let i = coefficients.length - 1; i >= 0; i--) acc = acc * r2 + (i + 1) * coefficients[i];
  return acc;
}

/** The distorted normalised coordinates of the direction (X, Y, Z) (OpenCV camera axes); NaN behind a pinhole. */
export function distortDirection(d: LensDistortion, X: number, Y: number, Z: number, out: Float64Array): void {
  if (d.model === 'fisheye') {
    const rho = Math.hypot(X, Y);
    const theta = Math.atan2(rho, Z);
    const scale = rho > 1e-15 ? (theta * polyR2(d.coefficients, theta * theta)) / rho : 1 / Z;
    out[0] = X * scale;
    out[1] = Y * scale;
    return;
  }
  if (!(Z > 0)) {
    out[0] = out[1] = Number.NaN;
    return;
  }
  const x = X / Z,
    y = Y / Z;
  const r2 = x * x + y * y;
  const radial = polyR2(d.radial, r2) / polyR2(d.radialDenominator, r2);
  out[0] = x * radial + 2 * d.p1 * x * y + d.p2 * (r2 + 2 * x * x);
  out[1] = y * radial + d.p1 * (r2 + 2 * y * y) + 2 * d.p2 * x * y;
}

const MAX_ITERATIONS = 40;
const TOLERANCE = 1e-12;

/**
 * The unit direction (OpenCV camera axes) whose distorted normalised coordinates are (xd, yd), by Newton's
 * method (halving steps that do not reduce the residual), as COLMAP and nerfstudio invert these models.
 */
export function undistortToDirection(d: LensDistortion, xd: number, yd: number, out: Float64Array): void {
  if (d.model === 'fisheye') {
    const rd = Math.hypot(xd, yd);
    // Solve theta * poly(theta^2) = rd on [0, pi).
    let theta = Math.min(rd, 3);
    for (let i = 0; i < MAX_ITERATIONS; i++) {
      const t2 = theta * theta;
      const f = theta * polyR2(d.coefficients, t2) - rd;
      if (Math.abs(f) < TOLERANCE) break;
      const slope = polyR2(d.coefficients, t2) + 2 * t2 * polyR2Slope(d.coefficients, t2);
      let next = theta - f / slope;
      if (!Number.isFinite(next) || next < 0) next = theta / 2;
      theta = Math.min(next, Math.PI - 1e-6);
    }
    const s = rd > 1e-15 ? Math.sin(theta) / rd : 1;
    out[0] = xd * s;
    out[1] = yd * s;
    out[2] = Math.cos(theta);
    return;
  }
  let x = xd,
    y = yd;
  const p = new Float64Array(3);
  const residual = (px: number, py: number): number => {
    distortDirection(d, px, py, 1, p);
    p[0] -= xd;
    p[1] -= yd;
    return p[0] * p[0] + p[1] * p[1];
  };
  let err = residual(x, y);
  for (let i = 0; i < MAX_ITERATIONS && err > TOLERANCE * TOLERANCE; i++) {
    const fx = p[0],
      fy = p[1];
    // Jacobian by central differences: exact enough for Newton, and one code path for every model.
    const h = 1e-7;
    residual(x + h, y);
    const ax = p[0],
      ay = p[1];
    residual(x - h, y);
    const j00 = (ax - p[0]) / (2 * h),
      j10 = (ay - p[1]) / (2 * h);
    residual(x, y + h);
    const bx = p[0],
      by = p[1];
    residual(x, y - h);
    const j01 = (bx - p[0]) / (2 * h),
      j11 = (by - p[1]) / (2 * h);
    const det = j00 * j11 - j01 * j10;
    if (!(Math.abs(det) > 1e-15)) break;
    let sx = (j11 * fx - j01 * fy) / det,
      sy = (j00 * fy - j10 * fx) / det;
    let next = residual(x - sx, y - sy);
    for (let k = 0; k < 20 && !(next < err); k++) {
      sx /= 2;
      sy /= 2;
      next = residual(x - sx, y - sy);
    }
    if (!(next < err)) break;
    x -= sx;
    y -= sy;
    err = next;
  }
  const inv = 1 / Math.hypot(x, y, 1);
  out[0] = x * inv;
  out[1] = y * inv;
  out[2] = inv;
}
