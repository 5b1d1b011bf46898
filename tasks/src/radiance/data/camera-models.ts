// The camera models of COLMAP's cameras.txt (and of nerfstudio's camera_model): each model's parameter list
// and how it maps to focal lengths, principal point and lens distortion. Models outside this list (FOV, the
// thin-prism fisheyes) fail by name rather than load as something else.

import { DataError } from '@strata/shared';
import { normalizeDistortion, type LensDistortion } from './lens-distortion.js';

/** A captured camera's intrinsics at the size its parameters are given for. */
export interface Intrinsics {
  readonly width: number;
  readonly height: number;
  readonly fx: number;
  readonly fy: number;
  readonly cx: number;
  readonly cy: number;
  readonly distortion: LensDistortion | null;
}

type Parts = Omit<Intrinsics, 'width' | 'height'>;

const radialTangential = (radial: number[], p1 = 0, p2 = 0, radialDenominator: number[] = []): LensDistortion => ({
  model: 'radial-tangential',
  radial,
  radialDenominator,
  p1,
  p2,
});
const fisheye = (coefficients: number[]): LensDistortion => ({ model: 'fisheye', coefficients });

/** COLMAP's models: parameter names (as COLMAP documents them) and their meaning. */
export const CAMERA_MODELS: Record<string, { params: readonly string[]; build: (p: number[]) => Parts }> = {
  SIMPLE_PINHOLE: { params: ['f', 'cx', 'cy'], build: ([f, cx, cy]) => ({ fx: f, fy: f, cx, cy, distortion: null }) },
  PINHOLE: { params: ['fx', 'fy', 'cx', 'cy'], build: ([fx, fy, cx, cy]) => ({ fx, fy, cx, cy, distortion: null }) },
  SIMPLE_RADIAL: {
    params: ['f', 'cx', 'cy', 'k'],
    build: ([f, cx, cy, k]) => ({ fx: f, fy: f, cx, cy, distortion: radialTangential([k]) }),
  },
  RADIAL: {
    params: ['f', 'cx', 'cy', 'k1', 'k2'],
    build: ([f, cx, cy, k1, k2]) => ({ fx: f, fy: f, cx, cy, distortion: radialTangential([k1, k2]) }),
  },
  OPENCV: {
    params: ['fx', 'fy', 'cx', 'cy', 'k1', 'k2', 'p1', 'p2'],
    build: ([fx, fy, cx, cy, k1, k2, p1, p2]) => ({ fx, fy, cx, cy, distortion: radialTangential([k1, k2], p1, p2) }),
  },
  FULL_OPENCV: {
    params: ['fx', 'fy', 'cx', 'cy', 'k1', 'k2', 'p1', 'p2', 'k3', 'k4', 'k5', 'k6'],
    build: ([fx, fy, cx, cy, k1, k2, p1, p2, k3, k4, k5, k6]) => ({
      fx,
      fy,
      cx,
      cy,
      distortion: radialTangential([k1, k2, k3], p1, p2, [k4, k5, k6]),
    }),
  },
  OPENCV_FISHEYE: {
    params: ['fx', 'fy', 'cx', 'cy', 'k1', 'k2', 'k3', 'k4'],
    build: ([fx, fy, cx, cy, k1, k2, k3, k4]) => ({ fx, fy, cx, cy, distortion: fisheye([k1, k2, k3, k4]) }),
  },
  SIMPLE_RADIAL_FISHEYE: {
    params: ['f', 'cx', 'cy', 'k'],
    build: ([f, cx, cy, k]) => ({ fx: f, fy: f, cx, cy, distortion: fisheye([k]) }),
  },
  RADIAL_FISHEYE: {
    params: ['f', 'cx', 'cy', 'k1', 'k2'],
    build: ([f, cx, cy, k1, k2]) => ({ fx: f, fy: f, cx, cy, distortion: fisheye([k1, k2]) }),
  },
};

/** Intrinsics of `model` with `params`; `where` names the file and field for errors. */
export function intrinsicsFromModel(model: string, width: number, height: number, params: readonly number[], where: string): Intrinsics {
  const spec = CAMERA_MODELS[model];
  if (!spec) {
    throw new DataError(`${where}: camera model '${model}' is not supported (supported: ${Object.keys(CAMERA_MODELS).join(', ')})`);
  }
  if (params.length !== spec.params.length) {
    const expected = `${spec.params.length} parameters (${spec.params.join(', ')})`;
    throw new DataError(`${where}: camera model ${model} takes ${expected}, got ${params.length}`);
  }
  params.forEach((v, i) => {
    if (!Number.isFinite(v)) throw new DataError(`${where}: parameter ${spec.params[i]} of ${model} is ${v}; need a finite number`);
  });
  const parts = spec.build([...params]);
  return checkIntrinsics({ width, height, ...parts, distortion: normalizeDistortion(parts.distortion) }, where);
}

export function checkIntrinsics(intrinsics: Intrinsics, where: string): Intrinsics {
  const { width, height, fx, fy, cx, cy } = intrinsics;
  if (!Number.isInteger(width) || width < 1 || !Number.isInteger(height) || height < 1) {
    throw new DataError(`${where}: image size ${width}x${height}; need positive integers`);
  }
  for (const [name, v] of Object.entries({ fx, fy })) {
    if (!(v > 0) || !Number.isFinite(v)) throw new DataError(`${where}: focal length ${name} is ${v}; need a positive number`);
  }
  for (const [name, v] of Object.entries({ cx, cy })) {
    if (!Number.isFinite(v)) throw new DataError(`${where}: principal point ${name} is ${v}; need a finite number`);
  }
  return intrinsics;
}
