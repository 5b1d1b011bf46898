// Projection of 3D Gaussians to the image (EWA splatting as in 3DGS): camera-space mean, the 2D covariance
// J W Σ W^T J^T + 0.3 I of the local affine approximation, its inverse (the conic), a screen radius (3 sigma,
// or less where a faint Gaussian's alpha falls under 1/255 sooner),
// view-dependent colour from spherical harmonics and the activated opacity; and the backward pass from the
// 2D quantities' gradients to the parameters. Colour's dependence on the view direction is not
// differentiated with respect to position (it is a small term; the position gradient comes from the
// footprint), which keeps the degree-3 basis out of the backward pass.

import type { Camera } from '../data/camera.js';
import { evalShBasis } from '../model/spherical-harmonics.js';
import {
  GAUSSIAN_LOG_SCALE,
  GAUSSIAN_OPACITY,
  GAUSSIAN_POSITION,
  GAUSSIAN_ROTATION,
  GAUSSIAN_SH,
  GAUSSIAN_STRIDE,
  type GaussianCloud,
} from '../model/gaussian-cloud.js';

/** Gaussians closer than this to the camera plane are culled (as 3DGS does). */
export const NEAR_PLANE = 0.2;
/** Added to the 2D covariance's diagonal: a pixel-sized low-pass filter, so no splat is thinner than a pixel. */
export const LOW_PASS = 0.3;

/** A pinhole camera as the projection needs it: world-to-camera rotation (OpenCV axes) and intrinsics. */
export interface ProjectionCamera {
  readonly width: number;
  readonly height: number;
  /** Row-major 3x3, world to camera (x right, y down, z forward). */
  readonly rotation: Float64Array;
  readonly center: Float64Array;
  readonly fx: number;
  readonly fy: number;
  readonly cx: number;
  readonly cy: number;
  /** |x / z| and |y / z| are clamped to these in the Jacobian (1.3 times the half field of view), as 3DGS does. */
  readonly limitX: number;
  readonly limitY: number;
}

export function projectionCamera(camera: Camera): ProjectionCamera {
  const m = camera.c2w;
  const fx = camera.focal,
    fy = camera.focalY ?? camera.focal;
  const cx = camera.cx ?? camera.width / 2,
    cy = camera.cy ?? camera.height / 2;
  return {
    width: camera.width,
    height: camera.height,
    rotation: Float64Array.of(m[0], m[4], m[8], -m[1], -m[5], -m[9], -m[2], -m[6], -m[10]),
    center: Float64Array.of(m[3], m[7], m[11]),
    fx,
    fy,
    cx,
    cy,
    limitX: (1.3 * Math.max(cx, camera.width - cx)) / fx,
    limitY: (1.3 * Math.max(cy, camera.height - cy)) / fy,
  };
}

/** Per-Gaussian results of a projection; `radius` 0 marks a culled Gaussian. */
export class ProjectedGaussians {
  capacity = 0;
  mean2d: Float32Array = new Float32Array(0);
  conic: Float32Array = new Float32Array(0);
  depth: Float32Array = new Float32Array(0);
  radius: Int32Array = new Int32Array(0);
  color: Float32Array = new Float32Array(0);
  opacity: Float32Array = new Float32Array(0);
  /** Bit c set: channel c of the colour was clamped at 0 (no gradient flows to it). */
  colorClamped: Uint8Array = new Uint8Array(0);

  /**
   * A projection of `count` Gaussians whose arrays live in SharedArrayBuffers: render workers that each project
   * a part of the cloud (projectGaussians' `first`, `end`) and all read the whole.
   */
  static shared(count: number): ProjectedGaussians {
    const floats = (n: number) => new Float32Array(new SharedArrayBuffer(4 * n));
    return ProjectedGaussians.over({
      capacity: count,
      mean2d: floats(2 * count),
      conic: floats(3 * count),
      depth: floats(count),
      radius: new Int32Array(new SharedArrayBuffer(4 * count)),
      color: floats(3 * count),
      opacity: floats(count),
      colorClamped: new Uint8Array(new SharedArrayBuffer(count)),
    });
  }

  /** A projection over `arrays` (a shared projection as a worker receives it: its fields, not the class). */
  static over(arrays: Omit<ProjectedGaussians, 'ensure'>): ProjectedGaussians {
    const { capacity, mean2d, conic, depth, radius, color, opacity, colorClamped } = arrays;
    if (!(mean2d.length >= 2 * capacity && conic.length >= 3 * capacity && color.length >= 3 * capacity))
      throw new RangeError(`projected gaussians: arrays too short for ${capacity}`);
    if (!(depth.length >= capacity && radius.length >= capacity && opacity.length >= capacity && colorClamped.length >= capacity))
      throw new RangeError(`projected gaussians: arrays too short for ${capacity}`);
    return Object.assign(new ProjectedGaussians(), { capacity, mean2d, conic, depth, radius, color, opacity, colorClamped });
  }

  ensure(count: number): void {
    if (count <= this.capacity) return;
    const n = Math.max(count, Math.ceil(this.capacity * 1.5));
    this.capacity = n;
    this.mean2d = new Float32Array(2 * n);
    this.conic = new Float32Array(3 * n);
    this.depth = new Float32Array(n);
    this.radius = new Int32Array(n);
    this.color = new Float32Array(3 * n);
    this.opacity = new Float32Array(n);
    this.colorClamped = new Uint8Array(n);
  }
}

/** Rotation matrix (row-major) of the normalised quaternion (w, x, y, z). */
export function writeRotation(w: number, x: number, y: number, z: number, r: Float64Array): void {
  r[0] = 1 - 2 * (y * y + z * z);
  r[1] = 2 * (x * y - w * z);
  r[2] = 2 * (x * z + w * y);
  r[3] = 2 * (x * y + w * z);
  r[4] = 1 - 2 * (x * x + z * z);
  r[5] = 2 * (y * z - w * x);
  r[6] = 2 * (x * z - w * y);
  r[7] = 2 * (y * z + w * x);
  r[8] = 1 - 2 * (x * x + y * y);
}

const rot = new Float64Array(9);
const mat = new Float64Array(9);
const tmat = new Float64Array(6);
const basis = new Float32Array(16);

/** The 2D covariance's Jacobian rows times the view rotation (T = J W, 2x3) for camera point t; returns clamp flags. */
function writeProjectionJacobian(cam: ProjectionCamera, tx: number, ty: number, tz: number, out: Float64Array): number {
  const W = cam.rotation;
  let flags = 0;
  let rx = tx / tz,
    ry = ty / tz;
  if (rx > cam.limitX || rx < -cam.limitX) {
    rx = Math.sign(rx) * cam.limitX;
    flags |= 1;
  }
  if (ry > cam.limitY || ry < -cam.limitY) {
    ry = Math.sign(ry) * cam.limitY;
    flags |= 2;
  }
  const j00 = cam.fx / tz,
    j02 = (-cam.fx * rx) / tz,
    j11 = cam.fy / tz,
    j12 = (-cam.fy * ry) / tz;
  for (let c = 0; c < 3; c++) {
    out[c] = j00 * W[c] + j02 * W[6 + c];
    out[3 + c] = j11 * W[3 + c] + j12 * W[6 + c];
  }
  return flags;
}

/**
 * Floats per Gaussian of its view-independent terms: M = R diag(s) (row-major 3x3: the 3D covariance is M
 * M^T), the activated opacity, and 2 ln(255 opacity) (the squared sigmas within which alpha can reach 1/255).
 */
const TERMS = 11;
const termsScratch = new Float64Array(TERMS);

/** Writes Gaussian `i`'s view-independent terms (TERMS floats) into `out` at `at`. */
function writeViewIndependentTerms(params: Float32Array, i: number, out: Float64Array, at: number): void {
  const row = i * GAUSSIAN_STRIDE;
  let qw = params[row + GAUSSIAN_ROTATION],
    qx = params[row + GAUSSIAN_ROTATION + 1],
    qy = params[row + GAUSSIAN_ROTATION + 2],
    qz = params[row + GAUSSIAN_ROTATION + 3];
  const qn = 1 / Math.sqrt(qw * qw + qx * qx + qy * qy + qz * qz);
  qw *= qn;
  qx *= qn;
  qy *= qn;
  qz *= qn;
  writeRotation(qw, qx, qy, qz, rot);
  const s0 = Math.exp(params[row + GAUSSIAN_LOG_SCALE]),
    s1 = Math.exp(params[row + GAUSSIAN_LOG_SCALE + 1]),
    s2 = Math.exp(params[row + GAUSSIAN_LOG_SCALE + 2]);
  for (let a = 0; a < 3; a++) {
    out[at + 3 * a] = rot[3 * a] * s0;
    out[at + 3 * a + 1] = rot[3 * a + 1] * s1;
    out[at + 3 * a + 2] = rot[3 * a + 2] * s2;
  }
  const opacity = 1 / (1 + Math.exp(-params[row + GAUSSIAN_OPACITY]));
  out[at + 9] = opacity;
  // Beyond sqrt(2 ln(255 opacity)) sigmas alpha is under 1/255: a faint Gaussian's footprint is smaller.
  out[at + 10] = 2 * Math.log(255 * opacity);
}

/**
 * The view-independent terms of every Gaussian of a cloud whose parameters no longer change (a model a view
 * renderer holds): computed once, they save each frame's projection the rotation, 3 exps, the sigmoid and a log
 * per Gaussian, and give it the same values (projectGaussians' `terms`). Not for training, whose parameters
 * change every step.
 */
export function viewIndependentTerms(cloud: GaussianCloud): Float64Array {
  const terms = new Float64Array(TERMS * cloud.count);
  for (let i = 0; i < cloud.count; i++) writeViewIndependentTerms(cloud.params, i, terms, TERMS * i);
  return terms;
}

/**
 * Projects the Gaussians `first` to `end` - 1 of `cloud` (default: all) for `cam` into `out` (each Gaussian's
 * entries depend on it alone, so parts projected apart make the whole). `terms`: the cloud's
 * viewIndependentTerms, when its parameters are frozen (the same projection, cheaper).
 */
export function projectGaussians(
  cloud: GaussianCloud,
  cam: ProjectionCamera,
  out: ProjectedGaussians,
  first = 0,
  end = cloud.count,
  terms?: Float64Array,
): void {
  const { count, params, shDegree } = cloud;
  if (!(Number.isInteger(first) && Number.isInteger(end) && first >= 0 && first <= end && end <= count))
    throw new RangeError(`gaussian projection: Gaussians ${first} to ${end} are not within ${count}`);
  if (terms && terms.length !== TERMS * count)
    throw new RangeError(`gaussian projection: view-independent terms of ${terms.length / TERMS} Gaussians for a cloud of ${count}`);
  out.ensure(count);
  const W = cam.rotation,
    C = cam.center;
  const basisSize = (shDegree + 1) * (shDegree + 1);
  const m = terms ?? termsScratch;
  for (let i = first; i < end; i++) {
    const row = i * GAUSSIAN_STRIDE;
    out.radius[i] = 0;
    const px = params[row + GAUSSIAN_POSITION] - C[0],
      py = params[row + GAUSSIAN_POSITION + 1] - C[1],
      pz = params[row + GAUSSIAN_POSITION + 2] - C[2];
    const tz = W[6] * px + W[7] * py + W[8] * pz;
    if (!(tz > NEAR_PLANE)) continue;
    const tx = W[0] * px + W[1] * py + W[2] * pz,
      ty = W[3] * px + W[4] * py + W[5] * pz;
    const u = (cam.fx * tx) / tz + cam.cx,
      v = (cam.fy * ty) / tz + cam.cy;
    // 3D covariance M M^T with M = R diag(s) (and the opacity): the cloud's frozen terms, or computed here.
    let at = 0;
    if (terms) at = TERMS * i;
    else writeViewIndependentTerms(params, i, termsScratch, 0);
    writeProjectionJacobian(cam, tx, ty, tz, tmat);
    // T M (2x3), then cov2 = (T M)(T M)^T.
    let a0 = 0,
      a1 = 0,
      a2 = 0,
      b0 = 0,
      b1 = 0,
      b2 = 0;
    for (let k = 0; k < 3; k++) {
      a0 += tmat[k] * m[at + 3 * k];
      a1 += tmat[k] * m[at + 3 * k + 1];
      a2 += tmat[k] * m[at + 3 * k + 2];
      b0 += tmat[3 + k] * m[at + 3 * k];
      b1 += tmat[3 + k] * m[at + 3 * k + 1];
      b2 += tmat[3 + k] * m[at + 3 * k + 2];
    }
    const A = a0 * a0 + a1 * a1 + a2 * a2 + LOW_PASS,
      B = a0 * b0 + a1 * b1 + a2 * b2,
      Cc = b0 * b0 + b1 * b1 + b2 * b2 + LOW_PASS;
    const det = A * Cc - B * B;
    if (!(det > 0)) continue;
    const opacity = m[at + 9];
    const reach = m[at + 10];
    if (!(reach > 0)) continue;
    const mid = 0.5 * (A + Cc);
    const lambda = mid + Math.sqrt(Math.max(0.1, mid * mid - det));
    const radius = Math.ceil(Math.min(3, Math.sqrt(reach)) * Math.sqrt(lambda));
    if (u + radius < 0 || u - radius > cam.width || v + radius < 0 || v - radius > cam.height) continue;
    out.radius[i] = radius;
    out.mean2d[2 * i] = u;
    out.mean2d[2 * i + 1] = v;
    out.conic[3 * i] = Cc / det;
    out.conic[3 * i + 1] = -B / det;
    out.conic[3 * i + 2] = A / det;
    out.depth[i] = tz;
    out.opacity[i] = opacity;
    const dl = 1 / Math.sqrt(px * px + py * py + pz * pz);
    evalShBasis(shDegree, px * dl, py * dl, pz * dl, basis);
    let clamped = 0;
    for (let c = 0; c < 3; c++) {
      let value = 0.5;
      for (let k = 0; k < basisSize; k++) value += basis[k] * params[row + GAUSSIAN_SH + 3 * k + c];
      if (value < 0) {
        value = 0;
        clamped |= 1 << c;
      }
      out.color[3 * i + c] = value;
    }
    out.colorClamped[i] = clamped;
  }
}

/** Gradients of the loss with respect to each Gaussian's 2D quantities, filled by the rasterizer's backward pass. */
export class ProjectedGradients {
  capacity = 0;
  mean2d = new Float32Array(0);
  conic = new Float32Array(0);
  color = new Float32Array(0);
  opacity = new Float32Array(0);

  /** Zeroed for `count` Gaussians. */
  reset(count: number): void {
    if (count > this.capacity) {
      const n = Math.max(count, Math.ceil(this.capacity * 1.5));
      this.capacity = n;
      this.mean2d = new Float32Array(2 * n);
      this.conic = new Float32Array(3 * n);
      this.color = new Float32Array(3 * n);
      this.opacity = new Float32Array(n);
      return;
    }
    this.mean2d.fill(0, 0, 2 * count);
    this.conic.fill(0, 0, 3 * count);
    this.color.fill(0, 0, 3 * count);
    this.opacity.fill(0, 0, count);
  }
}

const dM = new Float64Array(9);
const g3 = new Float64Array(9);
const sigma = new Float64Array(9);

/**
 * Adds d loss / d parameters to `grads` (the cloud's layout) from the 2D gradients, for the Gaussians the
 * projection kept. Returns nothing; `viewGradNorm` (when given) gains each visible Gaussian's screen-space
 * mean gradient norm in normalised device coordinates (3DGS's densification statistic).
 */
export function projectGaussiansBackward(
  cloud: GaussianCloud,
  cam: ProjectionCamera,
  projected: ProjectedGaussians,
  dProjected: ProjectedGradients,
  grads: Float32Array,
  viewGradNorm?: Float32Array,
): void {
  const { count, params, shDegree } = cloud;
  const W = cam.rotation,
    C = cam.center;
  const basisSize = (shDegree + 1) * (shDegree + 1);
  for (let i = 0; i < count; i++) {
    if (projected.radius[i] === 0) continue;
    const row = i * GAUSSIAN_STRIDE;
    const du = dProjected.mean2d[2 * i],
      dv = dProjected.mean2d[2 * i + 1];
    if (viewGradNorm) viewGradNorm[i] += Math.hypot(du * 0.5 * cam.width, dv * 0.5 * cam.height);
    // Colour (view direction held fixed) and opacity.
    const px = params[row + GAUSSIAN_POSITION] - C[0],
      py = params[row + GAUSSIAN_POSITION + 1] - C[1],
      pz = params[row + GAUSSIAN_POSITION + 2] - C[2];
    const dl = 1 / Math.sqrt(px * px + py * py + pz * pz);
    evalShBasis(shDegree, px * dl, py * dl, pz * dl, basis);
    const clamped = projected.colorClamped[i];
    for (let c = 0; c < 3; c++) {
      if (clamped & (1 << c)) continue;
      const g = dProjected.color[3 * i + c];
      for (let k = 0; k < basisSize; k++) grads[row + GAUSSIAN_SH + 3 * k + c] += basis[k] * g;
    }
    const op = projected.opacity[i];
    grads[row + GAUSSIAN_OPACITY] += dProjected.opacity[i] * op * (1 - op);

    // Recompute the forward intermediates.
    const tx = W[0] * px + W[1] * py + W[2] * pz,
      ty = W[3] * px + W[4] * py + W[5] * pz,
      tz = W[6] * px + W[7] * py + W[8] * pz;
    const q0 = params[row + GAUSSIAN_ROTATION],
      q1 = params[row + GAUSSIAN_ROTATION + 1],
      q2 = params[row + GAUSSIAN_ROTATION + 2],
      q3 = params[row + GAUSSIAN_ROTATION + 3];
    const qlen = Math.sqrt(q0 * q0 + q1 * q1 + q2 * q2 + q3 * q3);
    const qw = q0 / qlen,
      qx = q1 / qlen,
      qy = q2 / qlen,
      qz = q3 / qlen;
    writeRotation(qw, qx, qy, qz, rot);
    const s = [
      Math.exp(params[row + GAUSSIAN_LOG_SCALE]),
      Math.exp(params[row + GAUSSIAN_LOG_SCALE + 1]),
      Math.exp(params[row + GAUSSIAN_LOG_SCALE + 2]),
    ];
    for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) mat[3 * a + b] = rot[3 * a + b] * s[b];
    const flags = writeProjectionJacobian(cam, tx, ty, tz, tmat);
    // Σ3 = M M^T (symmetric, row-major 3x3).
    for (let a = 0; a < 3; a++) {
      for (let b = 0; b < 3; b++)
        sigma[3 * a + b] = mat[3 * a] * mat[3 * b] + mat[3 * a + 1] * mat[3 * b + 1] + mat[3 * a + 2] * mat[3 * b + 2];
    }
    // T Σ3 (2x3), kept for dL/dT = 2 G2 T Σ3.
    const ts = [0, 0, 0, 0, 0, 0];
    for (let r = 0; r < 2; r++) {
      for (let b = 0; b < 3; b++) ts[3 * r + b] = tmat[3 * r] * sigma[b] + tmat[3 * r + 1] * sigma[3 + b] + tmat[3 * r + 2] * sigma[6 + b];
    }
    // Conic K = Σ2^{-1}; dL/dΣ2 = -K Gk K with Gk the symmetric matrix gradient of K.
    const ka = projected.conic[3 * i],
      kb = projected.conic[3 * i + 1],
      kc = projected.conic[3 * i + 2];
    const ga = dProjected.conic[3 * i],
      gb = 0.5 * dProjected.conic[3 * i + 1],
      gc = dProjected.conic[3 * i + 2];
    // K Gk
    const m00 = ka * ga + kb * gb,
      m01 = ka * gb + kb * gc,
      m10 = kb * ga + kc * gb,
      m11 = kb * gb + kc * gc;
    // -(K Gk) K
    const G00 = -(m00 * ka + m01 * kb),
      G01 = -(m00 * kb + m01 * kc),
      G11 = -(m10 * kb + m11 * kc);
    // dL/dT = 2 G2 (T Σ3)
    const dT = [
      2 * (G00 * ts[0] + G01 * ts[3]),
      2 * (G00 * ts[1] + G01 * ts[4]),
      2 * (G00 * ts[2] + G01 * ts[5]),
      2 * (G01 * ts[0] + G11 * ts[3]),
      2 * (G01 * ts[1] + G11 * ts[4]),
      2 * (G01 * ts[2] + G11 * ts[5]),
    ];
    // G3 = T^T G2 T (3x3)
    for (let a = 0; a < 3; a++) {
      const ta0 = tmat[a],
        ta1 = tmat[3 + a];
      const r0 = ta0 * G00 + ta1 * G01,
        r1 = ta0 * G01 + ta1 * G11;
      for (let b = 0; b < 3; b++) g3[3 * a + b] = r0 * tmat[b] + r1 * tmat[3 + b];
    }
    // dL/dM = 2 G3 M
    for (let a = 0; a < 3; a++) {
      for (let b = 0; b < 3; b++) dM[3 * a + b] = 2 * (g3[3 * a] * mat[b] + g3[3 * a + 1] * mat[3 + b] + g3[3 * a + 2] * mat[6 + b]);
    }
    for (let b = 0; b < 3; b++) {
      const ds = dM[b] * rot[b] + dM[3 + b] * rot[3 + b] + dM[6 + b] * rot[6 + b];
      grads[row + GAUSSIAN_LOG_SCALE + b] += ds * s[b];
    }
    const r = (a: number, b: number): number => dM[3 * a + b] * s[b];
    const dw = 2 * (-qz * r(0, 1) + qy * r(0, 2) + qz * r(1, 0) - qx * r(1, 2) - qy * r(2, 0) + qx * r(2, 1));
    const dx =
      2 * (qy * r(0, 1) + qz * r(0, 2) + qy * r(1, 0) - 2 * qx * r(1, 1) - qw * r(1, 2) + qz * r(2, 0) + qw * r(2, 1) - 2 * qx * r(2, 2));
    const dy =
      2 * (-2 * qy * r(0, 0) + qx * r(0, 1) + qw * r(0, 2) + qx * r(1, 0) + qz * r(1, 2) - qw * r(2, 0) + qz * r(2, 1) - 2 * qy * r(2, 2));
    const dz =
      2 * (-2 * qz * r(0, 0) - qw * r(0, 1) + qx * r(0, 2) + qw * r(1, 0) - 2 * qz * r(1, 1) + qy * r(1, 2) + qx * r(2, 0) + qy * r(2, 1));
    const dot = qw * dw + qx * dx + qy * dy + qz * dz;
    grads[row + GAUSSIAN_ROTATION] += (dw - qw * dot) / qlen;
    grads[row + GAUSSIAN_ROTATION + 1] += (dx - qx * dot) / qlen;
    grads[row + GAUSSIAN_ROTATION + 2] += (dy - qy * dot) / qlen;
    grads[row + GAUSSIAN_ROTATION + 3] += (dz - qz * dot) / qlen;
    // T = J W: dL/dJ = dL/dT W^T; only J00, J02, J11, J12 are non-zero.
    const dJ00 = dT[0] * W[0] + dT[1] * W[1] + dT[2] * W[2],
      dJ02 = dT[0] * W[6] + dT[1] * W[7] + dT[2] * W[8],
      dJ11 = dT[3] * W[3] + dT[4] * W[4] + dT[5] * W[5],
      dJ12 = dT[3] * W[6] + dT[4] * W[7] + dT[5] * W[8];
    const { fx, fy } = cam;
    const tz2 = tz * tz;
    let dtx = (du * fx) / tz,
      dty = (dv * fy) / tz,
      dtz = (-du * fx * tx) / tz2 - (dv * fy * ty) / tz2;
    dtz += (-dJ00 * fx) / tz2 - (dJ11 * fy) / tz2;
    // J02 = -fx * rx / tz with rx = tx / tz, or the clamp limit (then only 1 / tz varies).
    if (flags & 1) dtz += (dJ02 * fx * Math.sign(tx) * cam.limitX) / tz2;
    else {
      dtx += (-dJ02 * fx) / tz2;
      dtz += (2 * dJ02 * fx * tx) / (tz2 * tz);
    }
    if (flags & 2) dtz += (dJ12 * fy * Math.sign(ty) * cam.limitY) / tz2;
    else {
      dty += (-dJ12 * fy) / tz2;
      dtz += (2 * dJ12 * fy * ty) / (tz2 * tz);
    }
    for (let a = 0; a < 3; a++) grads[row + GAUSSIAN_POSITION + a] += W[a] * dtx + W[3 + a] * dty + W[6 + a] * dtz;
  }
}
