// Parser for transforms.json as nerfstudio (ns-process-data) and instant-ngp (colmap2nerf.py) write it: frames
// with a file_path (JPEG or PNG, extension optional) and a 4x4 camera-to-world transform_matrix in the NeRF
// (OpenGL) camera convention; intrinsics fl_x fl_y cx cy w h (or camera_angle_x / camera_angle_y), shared at
// the top level or given per frame; lens distortion k1 k2 k3 k4 p1 p2 under camera_model OPENCV or
// OPENCV_FISHEYE (or instant-ngp's is_fisheye); nerfstudio's split lists (train_filenames, test_filenames)
// and sparse points (ply_file_path).
//
// The two tools differ in their world: nerfstudio leaves the capture's own (COLMAP's scale and origin, which
// its trainer normalises when loading), instant-ngp's files are normalised already (Blender-like scale, the
// scene around the origin) and say how far the scene reaches with aabb_scale (its unit cube, [0, 1]^3 after
// x * scale + offset with axes cycled, times aabb_scale). A file with aabb_scale, scale or offset is read in
// instant-ngp's convention, unless its cameras are nowhere near that cube (then it is normalised like nerfstudio's).

import { existsSync, readFileSync } from 'node:fs';
import { join, posix, relative } from 'node:path';
import { DataError } from '@strata/shared';
import type { Vec3 } from '../model/grid-geometry.js';
import { checkIntrinsics, type Intrinsics } from './camera-models.js';
import type { CapturedFrame, CapturedScene } from './captured-scene.js';
import { imageSize } from './image-file.js';
import { parseJsonAllowingNaN } from './json-file.js';
import { normalizeDistortion, type LensDistortion } from './lens-distortion.js';
import { readPlyPoints } from './ply-file.js';

const TRANSFORMS_CAMERA_MODELS = ['OPENCV', 'OPENCV_FISHEYE', 'PINHOLE', 'SIMPLE_PINHOLE', 'SIMPLE_RADIAL', 'RADIAL'];

/** instant-ngp's defaults: the NeRF synthetic scenes' [-1.5, 1.5]^3 maps onto its unit cube. */
const NGP_DEFAULT_SCALE = 0.33;
const NGP_DEFAULT_OFFSET = [0.5, 0.5, 0.5];

type Json = Record<string, unknown>;

function numberField(obj: Json, key: string, where: string): number | undefined {
  const v = obj[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new DataError(`${where}.${key} is ${JSON.stringify(v)}; need a finite number`);
  return v;
}

function pathsField(root: Json, key: string, file: string): string[] | null {
  const v = root[key];
  if (v === undefined) return null;
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) throw new DataError(`${file}: ${key} must be an array of file paths`);
  return (v as string[]).map((s) => posix.normalize(s.replace(/\\/g, '/')));
}

/** The image a frame names: its path as given, or with a .png / .jpg extension when it has none (as Blender's). */
function resolveImage(dir: string, filePath: string, where: string): string {
  const direct = join(dir, filePath);
  if (existsSync(direct)) return direct;
  for (const ext of ['.png', '.jpg', '.jpeg', '.JPG', '.PNG']) if (existsSync(direct + ext)) return direct + ext;
  throw new DataError(`${where}.file_path '${filePath}': image ${direct} not found`);
}

/** A frame's intrinsics: its own keys over the file's, the image's own size where neither gives w and h. */
function frameIntrinsics(root: Json, frame: Json, where: string, file: string, imagePath: string): Intrinsics {
  const pick = (key: string): number | undefined => numberField(frame, key, where) ?? numberField(root, key, file);
  let width = pick('w'),
    height = pick('h');
  if (width === undefined || height === undefined) {
    const size = imageSize(imagePath, `${where}.file_path`);
    width ??= size.width;
    height ??= size.height;
  }
  const angleX = pick('camera_angle_x'),
    angleY = pick('camera_angle_y');
  const fx = pick('fl_x') ?? (angleX !== undefined ? (0.5 * width) / Math.tan(0.5 * angleX) : undefined);
  if (fx === undefined) {
    throw new DataError(`${where}: no focal length: need fl_x or camera_angle_x (in the frame or at the top of ${file})`);
  }
  const fy = pick('fl_y') ?? (angleY !== undefined ? (0.5 * height) / Math.tan(0.5 * angleY) : fx);
  const cx = pick('cx') ?? width / 2,
    cy = pick('cy') ?? height / 2;
  const model = (frame.camera_model ?? root.camera_model) as unknown;
  const k = (name: string): number => pick(name) ?? 0;
  const fisheye = frame.is_fisheye === true || (frame.is_fisheye === undefined && root.is_fisheye === true);
  let distortion: LensDistortion | null;
  const ks = [k('k1'), k('k2'), k('k3'), k('k4')];
  // nerfstudio's perspective model: radial 1 + k1 r^2 + k2 r^4 + k3 r^6 + k4 r^8, tangential p1, p2.
  const perspective: LensDistortion = { model: 'radial-tangential', radial: ks, radialDenominator: [], p1: k('p1'), p2: k('p2') };
  if (model === undefined) {
    distortion = fisheye ? { model: 'fisheye', coefficients: ks } : perspective;
  } else if (model === 'OPENCV_FISHEYE') {
    distortion = { model: 'fisheye', coefficients: ks };
  } else if (model === 'OPENCV' || model === 'SIMPLE_RADIAL' || model === 'RADIAL') {
    distortion = perspective;
  } else if (model === 'PINHOLE' || model === 'SIMPLE_PINHOLE') {
    distortion = null;
  } else {
    const supported = TRANSFORMS_CAMERA_MODELS.join(', ');
    throw new DataError(`${where}: camera_model ${JSON.stringify(model)} is not supported (supported: ${supported})`);
  }
  return checkIntrinsics({ width, height, fx, fy, cx, cy, distortion: normalizeDistortion(distortion) }, where);
}

function parsePose(frame: Json, where: string): number[] {
  const m = frame.transform_matrix;
  if (!Array.isArray(m) || (m.length !== 4 && m.length !== 3)) throw new DataError(`${where}.transform_matrix must be a 4x4 array`);
  const c2w: number[] = [];
  for (let r = 0; r < 3; r++) {
    const row: unknown = m[r];
    if (!Array.isArray(row) || row.length !== 4) throw new DataError(`${where}.transform_matrix[${r}] must be an array of 4 numbers`);
    for (let c = 0; c < 4; c++) {
      const value: unknown = row[c];
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        throw new DataError(`${where}.transform_matrix[${r}][${c}] is ${String(value)}; need a finite number`);
      }
      c2w.push(value);
    }
  }
  return c2w;
}

/** instant-ngp's scene cube in the file's (NeRF) axes: ngp's axes are the file's (y, z, x). */
function ngpRegion(root: Json, file: string): CapturedScene['region'] {
  const scale = numberField(root, 'scale', file) ?? NGP_DEFAULT_SCALE;
  const aabbScale = numberField(root, 'aabb_scale', file) ?? 1;
  const offset = root.offset ?? NGP_DEFAULT_OFFSET;
  if (!(scale > 0)) throw new DataError(`${file}: scale is ${scale}; need a positive number`);
  if (!(aabbScale >= 1)) throw new DataError(`${file}: aabb_scale is ${aabbScale}; need a number >= 1`);
  if (!Array.isArray(offset) || offset.length !== 3 || offset.some((v) => typeof v !== 'number' || !Number.isFinite(v))) {
    throw new DataError(`${file}: offset is ${JSON.stringify(offset)}; need three finite numbers`);
  }
  const o = offset as number[];
  const center: Vec3 = [(0.5 - o[2]) / scale, (0.5 - o[0]) / scale, (0.5 - o[1]) / scale];
  return { center, radius: 0.5 / scale, aabbScale };
}

export function parseTransformsJson(dir: string): CapturedScene {
  const file = join(dir, 'transforms.json');
  const text = readFileSync(file, 'utf8');
  const json = parseJsonAllowingNaN(text, file);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new DataError(`${file}: top level must be an object`);
  const root = json as Json;
  if (!Array.isArray(root.frames) || root.frames.length === 0) {
    throw new DataError(`${file}: frames must be a non-empty array, got ${JSON.stringify(root.frames)?.slice(0, 80)}`);
  }
  const frames = root.frames.map((entry: unknown, i: number): CapturedFrame => {
    const where = `${file}: frames[${i}]`;
    if (typeof entry !== 'object' || entry === null) throw new DataError(`${where} must be an object`);
    const frame = entry as Json;
    if (typeof frame.file_path !== 'string' || frame.file_path === '') {
      throw new DataError(`${where}.file_path is ${JSON.stringify(frame.file_path)}; need a non-empty string`);
    }
    const imagePath = resolveImage(dir, frame.file_path, where);
    return {
      name: posix.normalize(relative(dir, imagePath).replace(/\\/g, '/')),
      imagePath,
      where,
      intrinsics: frameIntrinsics(root, frame, where, file, imagePath),
      c2w: parsePose(frame, where),
      depthRange: null,
    };
  });
  const test = pathsField(root, 'test_filenames', file) ?? pathsField(root, 'val_filenames', file);
  const names = new Set(frames.map((f) => f.name));
  for (const name of test ?? []) if (!names.has(name)) throw new DataError(`${file}: test_filenames names ${name}, which no frame has`);
  const ngp = ['aabb_scale', 'scale', 'offset'].some((k) => k in root);
  let region = ngp ? ngpRegion(root, file) : null;
  if (region) {
    const r = region;
    const distance =
      frames.reduce((s, f) => s + Math.hypot(f.c2w[3] - r.center[0], f.c2w[7] - r.center[1], f.c2w[11] - r.center[2]), 0) / frames.length;
    // Cameras nowhere near the cube: a capture's own world that merely carries the key.
    if (distance > 50 * r.radius * r.aabbScale) region = null;
  }
  const ply = typeof root.ply_file_path === 'string' ? join(dir, root.ply_file_path) : null;
  return {
    format: region ? 'instant-ngp transforms.json' : 'nerfstudio transforms.json',
    source: file,
    text,
    frames,
    points: ply ? readPlyPoints(ply, `${file}: ply_file_path`) : null,
    heldOut: test ? new Set(test) : null,
    region,
  };
}
