// Parser for COLMAP's text model (cameras.txt, images.txt, optional points3D.txt), as `colmap model_converter
// --output_type TXT` writes it, with the images in images/ beside the model's folder (sparse/0/, sparse/ or the
// scene folder itself). images.txt holds each image's world-to-camera rotation (a quaternion) and translation
// in COLMAP's camera axes (x right, y down, looking down +z); every failure names the file and line.

import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { DataError } from '@strata/shared';
import { intrinsicsFromModel, type Intrinsics } from './camera-models.js';
import type { CapturedFrame, CapturedScene } from './captured-scene.js';

/** Where COLMAP's model may sit in a scene folder (COLMAP's own, nerfstudio's and mip-NeRF 360's layouts). */
export const COLMAP_MODEL_DIRS = ['sparse/0', 'sparse', 'colmap/sparse/0', '.'];

/** The folder holding cameras.txt, or null; a binary-only model fails with how to convert it. */
export function findColmapModel(dir: string): string | null {
  for (const sub of COLMAP_MODEL_DIRS) {
    const model = join(dir, sub);
    if (existsSync(join(model, 'cameras.txt'))) return model;
  }
  for (const sub of COLMAP_MODEL_DIRS) {
    const model = join(dir, sub);
    if (existsSync(join(model, 'cameras.bin'))) {
      const convert = `colmap model_converter --input_path ${model} --output_path ${model} --output_type TXT`;
      throw new DataError(`${model}: a binary COLMAP model (cameras.bin); convert it with \`${convert}\``);
    }
  }
  return null;
}

/** The data lines of a COLMAP text file with their 1-based line numbers (comments dropped, blank lines kept). */
function dataLines(file: string): { line: number; text: string }[] {
  const lines = readFileSync(file, 'utf8').split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines.map((text, i) => ({ line: i + 1, text: text.trim() })).filter((l) => !l.text.startsWith('#'));
}

function numbers(words: string[], file: string, line: number, what: string): number[] {
  return words.map((w, i) => {
    const v = Number(w);
    if (!Number.isFinite(v)) throw new DataError(`${file}:${line}: ${what}[${i}] is '${w}'; need a finite number`);
    return v;
  });
}

function parseCameras(file: string): Map<number, Intrinsics> {
  const cameras = new Map<number, Intrinsics>();
  for (const { line, text } of dataLines(file)) {
    if (text === '') continue;
    const [id, model, width, height, ...params] = text.split(/\s+/);
    const where = `${file}:${line}`;
    if (params.length === 0 && height === undefined) throw new DataError(`${where}: need CAMERA_ID MODEL WIDTH HEIGHT PARAMS[]`);
    const values = numbers(params, file, line, 'PARAMS');
    cameras.set(Number(id), intrinsicsFromModel(model, Number(width), Number(height), values, `${where}: camera ${id}`));
  }
  return cameras;
}

/** Camera-to-world (OpenGL axes, row-major 3x4) of a COLMAP world-to-camera pose. */
function cameraToWorld(q: number[], t: number[], where: string): number[] {
  const n = Math.hypot(q[0], q[1], q[2], q[3]);
  if (!(n > 1e-9)) throw new DataError(`${where}: quaternion (${q.join(', ')}) has no rotation (zero length)`);
  const [w, x, y, z] = q.map((v) => v / n);
  // World-to-camera rotation R; the camera's axes in the world are its rows, its centre is -R^T t.
  const R = [
    1 - 2 * (y * y + z * z),
    2 * (x * y - w * z),
    2 * (x * z + w * y),
    2 * (x * y + w * z),
    1 - 2 * (x * x + z * z),
    2 * (y * z - w * x),
    2 * (x * z - w * y),
    2 * (y * z + w * x),
    1 - 2 * (x * x + y * y),
  ];
  const centre = [0, 1, 2].map((a) => -(R[a] * t[0] + R[3 + a] * t[1] + R[6 + a] * t[2]));
  // OpenGL axes: x as COLMAP's, y and z flipped (up, backward).
  return [0, 1, 2].flatMap((a) => [R[a], -R[3 + a], -R[6 + a], centre[a]]);
}

function parsePoints(file: string): Float64Array {
  const rows = dataLines(file).filter((l) => l.text !== '');
  const out = new Float64Array(3 * rows.length);
  rows.forEach(({ line, text }, i) => {
    const w = text.split(/\s+/);
    if (w.length < 8) throw new DataError(`${file}:${line}: need POINT3D_ID X Y Z R G B ERROR TRACK[]`);
    out.set(numbers(w.slice(1, 4), file, line, 'XYZ'), 3 * i);
  });
  return out;
}

export function parseColmapText(dir: string, model: string): CapturedScene {
  const camerasFile = join(model, 'cameras.txt'),
    imagesFile = join(model, 'images.txt'),
    pointsFile = join(model, 'points3D.txt');
  if (!existsSync(imagesFile)) throw new DataError(`${imagesFile}: not found beside ${camerasFile}`);
  const cameras = parseCameras(camerasFile);
  const lines = dataLines(imagesFile);
  const frames: CapturedFrame[] = [];
  // Two lines per image: the pose, then its 2-D points (possibly blank).
  for (let i = 0; i < lines.length; i += 2) {
    const { line, text } = lines[i];
    if (text === '') continue;
    const w = text.split(/\s+/);
    const where = `${imagesFile}:${line}`;
    if (w.length < 10) throw new DataError(`${where}: need IMAGE_ID QW QX QY QZ TX TY TZ CAMERA_ID NAME`);
    const pose = numbers(w.slice(1, 8), imagesFile, line, 'QW QX QY QZ TX TY TZ');
    const cameraId = Number(w[8]);
    const intrinsics = cameras.get(cameraId);
    if (!intrinsics) {
      throw new DataError(`${where}: CAMERA_ID ${w[8]} is not in ${camerasFile} (it has ${[...cameras.keys()].join(', ') || 'none'})`);
    }
    const name = w.slice(9).join(' ');
    const imagePath = join(dir, 'images', name);
    if (!existsSync(imagePath)) throw new DataError(`${where}: NAME '${name}': image ${imagePath} not found`);
    frames.push({
      name: posix.join('images', name.replace(/\\/g, '/')),
      imagePath,
      where,
      intrinsics,
      c2w: cameraToWorld(pose.slice(0, 4), pose.slice(4, 7), where),
      depthRange: null,
    });
  }
  const text = [camerasFile, imagesFile].map((f) => readFileSync(f, 'utf8')).join('\n');
  return {
    format: 'COLMAP text model',
    source: model,
    text,
    frames,
    points: existsSync(pointsFile) ? parsePoints(pointsFile) : null,
    heldOut: null,
    region: null,
  };
}
