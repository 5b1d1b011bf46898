// A camera in the NeRF / Blender convention (camera-to-world matrix, the camera looks down its -z axis with +y
// up) and the rays through its pixel centres: a pinhole with the principal point at the image centre by
// default, or a captured camera's intrinsics (two focal lengths, a principal point) and lens distortion.

import type { Vec3 } from '../model/grid-geometry.js';
import { distortDirection, undistortToDirection, type LensDistortion } from './lens-distortion.js';

export interface Camera {
  readonly width: number;
  readonly height: number;
  /** Focal length in pixels (horizontal). */
  readonly focal: number;
  /** Vertical focal length in pixels; default `focal`. */
  readonly focalY?: number;
  /** Principal point in pixels from the image's top-left corner (pixel centres at +0.5); default the centre. */
  readonly cx?: number;
  readonly cy?: number;
  /** Lens distortion (captured images); absent or null: a pinhole. */
  readonly distortion?: LensDistortion | null;
  /** Camera-to-world transform, row-major 3x4: rotation columns are the camera axes, last column the centre. */
  readonly c2w: readonly number[];
}

const scratch = new Float64Array(3);

/**
 * Writes the ray (origin, unit direction) through image point (px, py) (pixels from the top-left corner, so a
 * pixel's centre is at +0.5) into `origins`/`dirs` at ray index `r`.
 */
export function writePixelRay(
  camera: Camera,
  px: number,
  py: number,
  origins: Float32Array | Float64Array,
  dirs: Float32Array | Float64Array,
  r: number,
): void {
  const { c2w } = camera;
  const xn = (px - (camera.cx ?? camera.width / 2)) / camera.focal;
  const yn = (py - (camera.cy ?? camera.height / 2)) / (camera.focalY ?? camera.focal);
  // The direction in camera axes (x right, y up, z backwards).
  let u: number, v: number, back: number;
  if (camera.distortion) {
    undistortToDirection(camera.distortion, xn, yn, scratch);
    u = scratch[0];
    v = -scratch[1];
    back = -scratch[2];
  } else {
    u = xn;
    v = -yn;
    back = -1;
  }
  let dx = c2w[0] * u + c2w[1] * v + c2w[2] * back;
  let dy = c2w[4] * u + c2w[5] * v + c2w[6] * back;
  let dz = c2w[8] * u + c2w[9] * v + c2w[10] * back;
  const inv = 1 / Math.hypot(dx, dy, dz);
  dx *= inv;
  dy *= inv;
  dz *= inv;
  origins[3 * r] = c2w[3];
  origins[3 * r + 1] = c2w[7];
  origins[3 * r + 2] = c2w[11];
  dirs[3 * r] = dx;
  dirs[3 * r + 1] = dy;
  dirs[3 * r + 2] = dz;
}

/** Writes the ray (origin, unit direction) of every pixel, row by row, at ray index `offset + pixel`. */
export function writeCameraRays(camera: Camera, origins: Float32Array, dirs: Float32Array, offset = 0): void {
  const { width, height } = camera;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) writePixelRay(camera, x + 0.5, y + 0.5, origins, dirs, offset + y * width + x);
  }
}

/**
 * Where world point `p` lands in the image (pixels from the top-left corner), through the lens distortion;
 * null when it is behind a pinhole camera. The c2w rotation must be orthonormal.
 */
export function projectPoint(camera: Camera, p: Vec3): [number, number] | null {
  const { c2w } = camera;
  const rx = p[0] - c2w[3],
    ry = p[1] - c2w[7],
    rz = p[2] - c2w[11];
  // Camera axes from the rotation's columns; OpenCV axes are (x, -y, -z) of these.
  const X = c2w[0] * rx + c2w[4] * ry + c2w[8] * rz;
  const Y = -(c2w[1] * rx + c2w[5] * ry + c2w[9] * rz);
  const Z = -(c2w[2] * rx + c2w[6] * ry + c2w[10] * rz);
  let xn: number, yn: number;
  if (camera.distortion) {
    distortDirection(camera.distortion, X, Y, Z, scratch);
    [xn, yn] = [scratch[0], scratch[1]];
    if (!Number.isFinite(xn)) return null;
  } else {
    if (!(Z > 0)) return null;
    xn = X / Z;
    yn = Y / Z;
  }
  return [xn * camera.focal + (camera.cx ?? camera.width / 2), yn * (camera.focalY ?? camera.focal) + (camera.cy ?? camera.height / 2)];
}

/** The camera with its image scaled to `width` x `height` pixels (intrinsics scale with it; distortion does not). */
export function scaleCamera(camera: Camera, width: number, height: number): Camera {
  const sx = width / camera.width,
    sy = height / camera.height;
  return {
    ...camera,
    width,
    height,
    focal: camera.focal * sx,
    focalY: (camera.focalY ?? camera.focal) * sy,
    cx: (camera.cx ?? camera.width / 2) * sx,
    cy: (camera.cy ?? camera.height / 2) * sy,
  };
}

/** The camera centre's azimuth around the world z axis (radians in (-pi, pi]). */
export function cameraAzimuth(camera: Camera): number {
  return Math.atan2(camera.c2w[7], camera.c2w[3]);
}

/** Focal length in pixels for a horizontal field of view (radians) and image width. */
export function focalFromFov(fovX: number, width: number): number {
  return (0.5 * width) / Math.tan(0.5 * fovX);
}

/** A camera at `eye` looking at `target` with world `up` (z up, as in the Blender scenes). */
export function lookAtCamera(eye: Vec3, target: Vec3, width: number, height: number, focal: number, up: Vec3 = [0, 0, 1]): Camera {
  const norm = (v: number[]): number[] => {
    const l = Math.hypot(v[0], v[1], v[2]);
    return [v[0] / l, v[1] / l, v[2] / l];
  };
  const cross = (a: number[], b: number[]): number[] => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
  // The camera's +z axis points away from what it looks at.
  const back = norm([eye[0] - target[0], eye[1] - target[1], eye[2] - target[2]]);
  const right = norm(cross([...up], back));
  const camUp = cross(back, right);
  return {
    width,
    height,
    focal,
    c2w: [right[0], camUp[0], back[0], eye[0], right[1], camUp[1], back[1], eye[1], right[2], camUp[2], back[2], eye[2]],
  };
}

/** A camera on a sphere of `radius` around `target` at azimuth and elevation (radians), looking at it. */
export function orbitCamera(
  azimuth: number,
  elevation: number,
  radius: number,
  width: number,
  height: number,
  focal: number,
  target: Vec3 = [0, 0, 0],
): Camera {
  const eye: Vec3 = [
    target[0] + radius * Math.cos(elevation) * Math.cos(azimuth),
    target[1] + radius * Math.cos(elevation) * Math.sin(azimuth),
    target[2] + radius * Math.sin(elevation),
  ];
  return lookAtCamera(eye, target, width, height, focal);
}
