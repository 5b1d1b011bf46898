// Puts rgb images side by side (ground truth beside renders, turntable frames) with a white gap, and the
// cameras of a turntable around a scene.

import { focalFromFov, orbitCamera, type Camera } from '../data/camera.js';

export interface RgbImage {
  readonly width: number;
  readonly height: number;
  /** rgb in [0, 1], row by row. */
  readonly rgb: Float32Array;
}

/** The images left to right, top-aligned, `gap` white pixels apart. */
export function horizontalStrip(images: readonly RgbImage[], gap = 2): RgbImage {
  const height = Math.max(...images.map((i) => i.height));
  const width = images.reduce((w, i) => w + i.width, 0) + gap * Math.max(0, images.length - 1);
  const rgb = new Float32Array(width * height * 3).fill(1);
  let x0 = 0;
  for (const img of images) {
    for (let y = 0; y < img.height; y++) {
      rgb.set(img.rgb.subarray(3 * y * img.width, 3 * (y + 1) * img.width), 3 * (y * width + x0));
    }
    x0 += img.width + gap;
  }
  return { width, height, rgb };
}

/** `count` cameras evenly around the z axis at `elevation` (radians) and `radius`, looking at the origin. */
export function turntableCameras(count: number, elevation: number, radius: number, width: number, height: number, fovX: number): Camera[] {
  const focal = focalFromFov(fovX, width);
  return Array.from({ length: count }, (_, i) => orbitCamera((2 * Math.PI * i) / count, elevation, radius, width, height, focal));
}
