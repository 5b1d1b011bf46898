// Co-rendering's device half: depth-image-based warping. A frame rendered (colour + depth) at one camera is
// re-projected to the camera the user has now: each source pixel with a surface (opacity >= 0.5) becomes the
// world point at its depth, projected into the target view and splatted onto the 2x2 pixels around where it
// lands. A soft z-buffer decides each pixel: a point clearly nearer (by more than SAME_SURFACE of the depth)
// wins; among points of the same surface the one landing closest to the pixel's centre wins, so the warp does
// not shift colours by a pixel where a plain z-buffer would take whichever neighbour is a hair nearer. What no
// source pixel reaches (disocclusions, the
// rim the old view did not cover, empty space) is filled from a cheap low-resolution render at the target
// camera, upsampled bilinearly.

import { ConfigError } from '@strata/shared';
import { writePixelRay, type Camera } from '../data/camera.js';

/** A frame as the device holds it: colour in [0, 1], depth along the unit ray, surface opacity. */
export interface DepthFrame {
  readonly camera: Camera;
  readonly rgb: Float32Array;
  /** Distance along the pixel's unit ray (0 where nothing was hit). */
  readonly depth: Float32Array;
  /** Where < 0.5 the pixel shows empty space and is not warped. */
  readonly opacity: Float32Array;
}

export interface WarpResult {
  readonly width: number;
  readonly height: number;
  readonly rgb: Float32Array;
  /** 1 where a warped source pixel landed, 0 where the fill is needed. */
  readonly covered: Uint8Array;
}

const origin = new Float64Array(3),
  dir = new Float64Array(3);

/** Relative depth difference under which two warped points count as the same surface. */
const SAME_SURFACE = 0.01;
/**
 * A point covers the pixels whose centres lie within this many pixels of it on each axis: enough to close the
 * cracks a slightly magnifying warp opens between neighbours, without growing a silhouette by a pixel (a point
 * landing on a pixel's centre covers that pixel only).
 */
const FOOTPRINT = 0.75;

/** Warps `source` to `target` (a pinhole; any size). Uncovered pixels are left at 0 with covered = 0. */
export function warpDepthFrame(source: DepthFrame, target: Camera): WarpResult {
  const { camera } = source;
  const n = camera.width * camera.height;
  if (source.rgb.length !== 3 * n || source.depth.length !== n || source.opacity.length !== n) {
    throw new ConfigError(`depth warp: a ${camera.width}x${camera.height} frame needs ${3 * n} colours and ${n} depths and opacities`);
  }
  const tw = target.width,
    th = target.height;
  const rgb = new Float32Array(3 * tw * th);
  const covered = new Uint8Array(tw * th);
  const zbuf = new Float32Array(tw * th).fill(Number.POSITIVE_INFINITY);
  /** Squared distance from each pixel's centre to the point that holds it. */
  const offset = new Float32Array(tw * th);
  const t = target.c2w;
  const fx = target.focal,
    fy = target.focalY ?? target.focal;
  const cx = target.cx ?? tw / 2,
    cy = target.cy ?? th / 2;
  for (let y = 0; y < camera.height; y++) {
    for (let x = 0; x < camera.width; x++) {
      const p = y * camera.width + x;
      if (!(source.opacity[p] >= 0.5) || !(source.depth[p] > 0)) continue;
      writePixelRay(camera, x + 0.5, y + 0.5, origin, dir, 0);
      const d = source.depth[p];
      const rx = origin[0] + dir[0] * d - t[3],
        ry = origin[1] + dir[1] * d - t[7],
        rz = origin[2] + dir[2] * d - t[11];
      // Target camera axes (x right, y down, z forward: OpenCV) from the rotation's columns.
      const X = t[0] * rx + t[4] * ry + t[8] * rz;
      const Y = -(t[1] * rx + t[5] * ry + t[9] * rz);
      const Z = -(t[2] * rx + t[6] * ry + t[10] * rz);
      if (!(Z > 1e-6)) continue;
      const u = (X / Z) * fx + cx,
        v = (Y / Z) * fy + cy;
      const u0 = Math.floor(u - 0.5),
        v0 = Math.floor(v - 0.5);
      for (let dy = 0; dy <= 1; dy++) {
        const ty = v0 + dy;
        if (ty < 0 || ty >= th) continue;
        for (let dx = 0; dx <= 1; dx++) {
          const tx = u0 + dx;
          if (tx < 0 || tx >= tw) continue;
          const q = ty * tw + tx;
          const du = tx + 0.5 - u,
            dv = ty + 0.5 - v;
          if (du > FOOTPRINT || du < -FOOTPRINT || dv > FOOTPRINT || dv < -FOOTPRINT) continue;
          const distance = du * du + dv * dv;
          const held = zbuf[q];
          const nearer = Z < held * (1 - SAME_SURFACE);
          const sameSurface = Z <= held * (1 + SAME_SURFACE);
          if (!(nearer || (sameSurface && distance < offset[q]))) continue;
          zbuf[q] = Z;
          offset[q] = distance;
          covered[q] = 1;
          rgb[3 * q] = source.rgb[3 * p];
          rgb[3 * q + 1] = source.rgb[3 * p + 1];
          rgb[3 * q + 2] = source.rgb[3 * p + 2];
        }
      }
    }
  }
  return { width: tw, height: th, rgb, covered };
}

/** Fills the uncovered pixels of `warped` from `fill` (any size, bilinearly upsampled); returns the image. */
export function fillWarpHoles(warped: WarpResult, fill: { width: number; height: number; rgb: Float32Array }): Float32Array {
  const { width, height } = warped;
  const out = warped.rgb;
  const sx = fill.width / width,
    sy = fill.height / height;
  for (let y = 0; y < height; y++) {
    const fy = Math.min(fill.height - 1, Math.max(0, (y + 0.5) * sy - 0.5));
    const y0 = Math.floor(fy),
      y1 = Math.min(fill.height - 1, y0 + 1),
      wy = fy - y0;
    for (let x = 0; x < width; x++) {
      const q = y * width + x;
      if (warped.covered[q]) continue;
      const fx = Math.min(fill.width - 1, Math.max(0, (x + 0.5) * sx - 0.5));
      const x0 = Math.floor(fx),
        x1 = Math.min(fill.width - 1, x0 + 1),
        wx = fx - x0;
      for (let c = 0; c < 3; c++) {
        const a = fill.rgb[3 * (y0 * fill.width + x0) + c],
          b = fill.rgb[3 * (y0 * fill.width + x1) + c],
          d = fill.rgb[3 * (y1 * fill.width + x0) + c],
          e = fill.rgb[3 * (y1 * fill.width + x1) + c];
        out[3 * q + c] = (a * (1 - wx) + b * wx) * (1 - wy) + (d * (1 - wx) + e * wx) * wy;
      }
    }
  }
  return out;
}
