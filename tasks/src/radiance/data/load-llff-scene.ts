// Parser for LLFF's poses_bounds.npy (Mildenhall et al., "Local Light Field Fusion", 2019, as the NeRF code
// reads it): one row of 17 numbers per image of images/ (sorted by file name): a 3x5 matrix, row-major, whose
// columns are the camera's down, right and backward axes, its centre, and [height, width, focal] of the
// full-size images; then the near and far scene depths that view sees. A pinhole with the principal point at
// the image centre.

import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DataError } from '@strata/shared';
import { checkIntrinsics } from './camera-models.js';
import type { CapturedFrame, CapturedScene } from './captured-scene.js';
import { readNpy } from './npy-file.js';

const IMAGE_FILE = /\.(jpe?g|png)$/i;

export function parseLlffScene(dir: string): CapturedScene {
  const file = join(dir, 'poses_bounds.npy');
  const { shape, data } = readNpy(file);
  if (shape.length !== 2 || shape[1] !== 17) throw new DataError(`${file}: shape (${shape.join(', ')}); need (images, 17)`);
  const imageDir = join(dir, 'images');
  if (!existsSync(imageDir)) throw new DataError(`${file}: the images folder ${imageDir} is missing`);
  const images = readdirSync(imageDir)
    .filter((f) => IMAGE_FILE.test(f))
    .sort();
  if (images.length !== shape[0]) {
    throw new DataError(
      `${file}: ${shape[0]} poses for ${images.length} images in ${imageDir}; LLFF pairs row i with the i-th image by name`,
    );
  }
  const frames = images.map((name, i): CapturedFrame => {
    const where = `${file}: row ${i} (${name})`;
    const row = data.subarray(17 * i, 17 * (i + 1));
    const m = (r: number, c: number): number => row[5 * r + c];
    const [height, width, focal] = [m(0, 4), m(1, 4), m(2, 4)];
    const [near, far] = [row[15], row[16]];
    if (!(near > 0 && far > near) || !Number.isFinite(far)) {
      throw new DataError(`${where}: bounds near ${near}, far ${far}; need 0 < near < far`);
    }
    // Columns: down (0), right (1), backward (2); OpenGL's are right, up = -down, backward.
    const c2w = [0, 1, 2].flatMap((r) => [m(r, 1), -m(r, 0), m(r, 2), m(r, 3)]);
    return {
      name: `images/${name}`,
      imagePath: join(imageDir, name),
      where,
      intrinsics: checkIntrinsics({ width, height, fx: focal, fy: focal, cx: width / 2, cy: height / 2, distortion: null }, where),
      c2w,
      depthRange: [near, far],
    };
  });
  const text = Buffer.from(data.buffer).toString('base64');
  return { format: 'LLFF poses_bounds.npy', source: file, text, frames, points: null, heldOut: null, region: null };
}
