// Loader for the NeRF synthetic (Blender) format: transforms_<split>.json (camera_angle_x, per frame a
// file_path and a 4x4 camera-to-world transform_matrix) beside PNG images with alpha. Images are box-filtered
// to the requested width on premultiplied alpha, composited onto white, and cached as floats under the
// repo's ignored .cache/ folder, keyed by the transforms text and the images' sizes and times.

import { existsSync, readFileSync } from 'node:fs';
import { basename, join, posix, resolve } from 'node:path';
import { DataError } from '@strata/shared';
import { resolveDataDir } from '../../recsys/data/data-dir.js';
import type { Vec3 } from '../model/grid-geometry.js';
import { focalFromFov, type Camera } from './camera.js';
import { cachedImages, defaultImageCacheDir, imageCacheKey } from './image-cache.js';
import { resampleRgbaOnto } from './image-resample.js';
import { parseJsonAllowingNaN } from './json-file.js';
import { readPng } from './png-file.js';
import { holdOutEvery, type SceneDataset, type SceneView } from './scene-dataset.js';

export interface BlenderSceneOptions {
  /** Output image width in pixels (height keeps the aspect ratio). Default 100. */
  readonly resolution?: number;
  /** The transforms files to read, by split name (transforms_<split>.json). Default ['train']. */
  readonly splits?: readonly string[];
  /** Views i with i % holdOutEvery === 0 (over the splits read, in order) are held out. Default 8. */
  readonly holdOutEvery?: number;
  /** Cache folder; default <repo root>/.cache/radiance. null disables the cache. */
  readonly cacheDir?: string | null;
}

const WHITE: Vec3 = [1, 1, 1];

/** The Blender scenes fit in [-1.5, 1.5]^3 and are seen from about 4 units away (near 2, far 6). */
const BLENDER_BBOX = { min: [-1.5, -1.5, -1.5] as Vec3, max: [1.5, 1.5, 1.5] as Vec3 };

interface ParsedFrame {
  readonly filePath: string;
  readonly c2w: number[];
}

/** The scene folder of a named Blender scene in the shared data folder (e.g. `lego`). */
export function blenderSceneDir(scene: string): string {
  return join(resolveDataDir(), 'nerf-synthetic', scene);
}

export function loadBlenderScene(dir: string, options: BlenderSceneOptions = {}): SceneDataset {
  const resolution = options.resolution ?? 100;
  if (!Number.isInteger(resolution) || resolution < 1) {
    throw new DataError(`blender scene ${dir}: resolution ${resolution} must be a positive integer`);
  }
  const splits = options.splits ?? ['train'];
  const cacheDir = options.cacheDir === undefined ? defaultImageCacheDir() : options.cacheDir;
  const views: SceneView[] = [];
  for (const split of splits) views.push(...loadSplit(resolve(dir), split, resolution, cacheDir));
  const { train, test } = holdOutEvery(views, options.holdOutEvery ?? 8);
  return { name: basename(resolve(dir)), train, test, bbox: BLENDER_BBOX, near: 2, far: 6, background: WHITE };
}

function loadSplit(dir: string, split: string, resolution: number, cacheDir: string | null): SceneView[] {
  const file = join(dir, `transforms_${split}.json`);
  if (!existsSync(file)) throw new DataError(`${file}: transforms file not found`);
  const text = readFileSync(file, 'utf8');
  const { fovX, frames } = parseTransforms(text, file);
  const images = frames.map((f, i) => {
    const path = join(dir, /\.png$/i.test(f.filePath) ? f.filePath : `${f.filePath}.png`);
    if (!existsSync(path)) throw new DataError(`${file}: frames[${i}].file_path '${f.filePath}': image ${path} not found`);
    return path;
  });

  const key = imageCacheKey(text, images, resolution);
  const cachePath = cacheDir === null ? null : join(cacheDir, `${basename(dir)}-${split}-${resolution}-${key}.bin`);
  const pixels = cachedImages(cachePath, () => {
    let size: [number, number] | null = null;
    return images.map((path, i) => {
      const img = readPng(path, `${file}: frames[${i}].file_path`);
      if (size === null) size = [img.width, img.height];
      else if (img.width !== size[0] || img.height !== size[1]) {
        throw new DataError(
          `${file}: frames[${i}].file_path: ${path} is ${img.width}x${img.height}, the first image is ${size[0]}x${size[1]}`,
        );
      }
      const height = Math.max(1, Math.round((img.height * resolution) / img.width));
      return { width: resolution, height, rgb: resampleRgbaOnto(img.data, img.width, img.height, resolution, height, WHITE) };
    });
  });
  const focal = focalFromFov(fovX, resolution);
  return frames.map((f, i): SceneView => {
    const camera: Camera = { width: resolution, height: pixels[i].height, focal, c2w: f.c2w };
    return { name: posix.normalize(f.filePath), camera, rgb: pixels[i].rgb };
  });
}

/** Validates a transforms file; every failure names the file and the field. */
export function parseTransforms(text: string, file: string): { fovX: number; frames: ParsedFrame[] } {
  const json = parseJsonAllowingNaN(text, file);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new DataError(`${file}: top level must be an object`);
  const root = json as Record<string, unknown>;
  const fovX = root.camera_angle_x;
  if (typeof fovX !== 'number' || !Number.isFinite(fovX) || fovX <= 0 || fovX >= Math.PI) {
    throw new DataError(`${file}: camera_angle_x is ${JSON.stringify(fovX)}; need a number in (0, pi)`);
  }
  if (!Array.isArray(root.frames) || root.frames.length === 0) {
    throw new DataError(`${file}: frames must be a non-empty array, got ${JSON.stringify(root.frames)?.slice(0, 80)}`);
  }
  const frames = root.frames.map((frame: unknown, i: number): ParsedFrame => {
    const where = `${file}: frames[${i}]`;
    if (typeof frame !== 'object' || frame === null) throw new DataError(`${where} must be an object`);
    const f = frame as Record<string, unknown>;
    if (typeof f.file_path !== 'string' || f.file_path === '') {
      throw new DataError(`${where}.file_path is ${JSON.stringify(f.file_path)}; need a non-empty string`);
    }
    const m = f.transform_matrix;
    if (!Array.isArray(m) || m.length !== 4) throw new DataError(`${where}.transform_matrix must be a 4x4 array`);
    const c2w: number[] = [];
    for (let r = 0; r < 4; r++) {
      const row: unknown = m[r];
      if (!Array.isArray(row) || row.length !== 4) throw new DataError(`${where}.transform_matrix[${r}] must be an array of 4 numbers`);
      for (let c = 0; c < 4; c++) {
        const value: unknown = row[c];
        if (typeof value !== 'number' || !Number.isFinite(value)) {
          throw new DataError(`${where}.transform_matrix[${r}][${c}] is ${String(value)}; need a finite number`);
        }
        if (r < 3) c2w.push(value);
      }
    }
    return { filePath: f.file_path, c2w };
  });
  return { fovX, frames };
}
