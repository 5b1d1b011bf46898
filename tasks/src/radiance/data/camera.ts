// A pinhole camera in the NeRF / Blender convention (camera-to-world matrix, the camera looks down its -z
// axis with +y up) and the rays through its pixel centres.

import type { Vec3 } from '../model/grid-geometry.js';

export interface Camera {
  readonly width: number;
  readonly height: number;
  /** Focal length in pixels. */
  readonly focal: number;
  /** Camera-to-world transform, row-major 3x4: rotation columns are the camera axes, last column the centre. */
  readonly c2w: readonly number[];
}

/** Writes the ray (origin, unit direction) of every pixel, row by row, at ray index `offset + pixel`. */
export function writeCameraRays(camera: Camera, origins: Float32Array, dirs: Float32Array, offset = 0): void {
  const { width, height, focal, c2w } = camera;
  const cx = width / 2,
    cy = height / 2;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const u = (x + 0.5 - cx) / focal,
        v = -(y + 0.5 - cy) / focal;
      let dx = c2w[0] * u + c2w[1] * v - c2w[2];
      let dy = c2w[4] * u + c2w[5] * v - c2w[6];
      let dz = c2w[8] * u + c2w[9] * v - c2w[10];
      const inv = 1 / Math.hypot(dx, dy, dz);
      dx *= inv;
      dy *= inv;
      dz *= inv;
      const r = 3 * (offset + y * width + x);
      origins[r] = c2w[3];
      origins[r + 1] = c2w[7];
      origins[r + 2] = c2w[11];
      dirs[r] = dx;
      dirs[r + 1] = dy;
      dirs[r + 2] = dz;
    }
  }
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
