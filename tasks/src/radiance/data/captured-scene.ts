// Turns a captured scene as its format describes it (frames with intrinsics and camera-to-world poses in the
// file's world, optional sparse points and per-view depth bounds) into a SceneDataset the radiance tasks train
// on: the world normalised like the Blender scenes (z up, the cameras' centre of attention at the origin, mean
// camera distance 4, so turntables, orbit poses and azimuth partitions mean the same as on lego), the scene's
// extent (the cube around the cameras, contracted beyond it, or a bounded box), images decoded, box-filtered to
// the requested width and cached, a background colour, and the held-out views.

import { existsSync, readdirSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { ConfigError, DataError } from '@strata/shared';
import type { Aabb, Vec3 } from '../model/grid-geometry.js';
import { CONTRACTED_BOX, UNBOUNDED_OUTER, type SceneContraction } from '../model/scene-contraction.js';
import { projectPoint, scaleCamera, type Camera } from './camera.js';
import type { Intrinsics } from './camera-models.js';
import { cachedImages, defaultImageCacheDir, imageCacheKey, type CachedImage } from './image-cache.js';
import { imageSize, readImage } from './image-file.js';
import { resampleRgbaOnto } from './image-resample.js';
import { holdOutEvery, type SceneDataset, type SceneView } from './scene-dataset.js';

export interface CapturedFrame {
  /** The image's path relative to the scene folder: views are ordered and named by it. */
  readonly name: string;
  readonly imagePath: string;
  /** Names the file and field the frame came from, for errors. */
  readonly where: string;
  readonly intrinsics: Intrinsics;
  /** Camera-to-world, row-major 3x4, OpenGL axes (x right, y up, looking down -z), in the file's world. */
  readonly c2w: readonly number[];
  /** Scene depth range seen by this view (LLFF bounds), in the file's units. */
  readonly depthRange: readonly [number, number] | null;
}

export interface CapturedScene {
  /** What was found, e.g. "COLMAP text model". */
  readonly format: string;
  /** The files read, for the description. */
  readonly source: string;
  /** The description files' text (part of the image cache key). */
  readonly text: string;
  readonly frames: readonly CapturedFrame[];
  /** Sparse points (xyz per point) in the file's world. */
  readonly points: Float64Array | null;
  /** Names of the views the format holds out; null: every holdOutEvery-th view. */
  readonly heldOut: ReadonlySet<string> | null;
  /**
   * instant-ngp's convention: the file's world is already normalised, the scene's region is this cube and
   * the scene ends at aabbScale times it. null: the world is the capture's own and is normalised here.
   */
  readonly region: { readonly center: Vec3; readonly radius: number; readonly aabbScale: number } | null;
}

export type ContractionMode = 'auto' | 'on' | 'off';

export interface CapturedSceneOptions {
  /** Output image width in pixels (height keeps each image's aspect ratio). Default 100. */
  readonly resolution?: number;
  /** Views i with i % holdOutEvery === 0 (in name order) are held out, when the format names none. Default 8. */
  readonly holdOutEvery?: number;
  /**
   * Scene contraction for unbounded backgrounds: 'auto' contracts beyond the cameras' cube unless the format
   * says the scene is bounded (instant-ngp's aabb_scale 1) or the image borders are a uniform backdrop (at
   * least 90% of border pixels within 0.05 of their median colour). Default 'auto'.
   */
  readonly contraction?: ContractionMode;
  /** Cache folder; default <repo root>/.cache/radiance. null disables the cache. */
  readonly cacheDir?: string | null;
}

/** The similarity taking the file's world to the dataset's: x' = scale * rotation (x - center). */
export interface WorldTransform {
  /** Row-major 3x3. */
  readonly rotation: readonly number[];
  readonly center: Vec3;
  readonly scale: number;
}

export interface LoadedScene {
  readonly dataset: SceneDataset;
  /** Which format was found, what was read and how the scene was set up, in a sentence or two. */
  readonly description: string;
  readonly world: WorldTransform;
}

/** The Blender scenes' mean camera distance, which normalised captures take. */
const CAMERA_DISTANCE = 4;
/** Forward directions this aligned (|mean| above it) are a forward-facing capture: their axes do not meet. */
const FORWARD_FACING = 0.97;

/** Checks a camera-to-world pose is finite and invertible; `where` names the file and field. */
export function checkPose(c2w: readonly number[], where: string): void {
  const bad = c2w.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new DataError(`${where}: pose element [${Math.floor(bad / 4)}][${bad % 4}] is ${c2w[bad]}; need a finite number`);
  const [a, b, c, , d, e, f, , g, h, i] = c2w;
  const det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
  const norm = Math.hypot(a, b, c, d, e, f, g, h, i);
  if (!(Math.abs(det) > 1e-6 * norm ** 3)) throw new DataError(`${where}: pose rotation is not invertible (determinant ${det})`);
}

const column = (c2w: readonly number[], k: number): Vec3 => [c2w[k], c2w[4 + k], c2w[8 + k]];
const unit = (v: readonly number[]): Vec3 => {
  const l = Math.hypot(v[0], v[1], v[2]);
  return [v[0] / l, v[1] / l, v[2] / l];
};

/** The rotation (row-major 3x3) taking unit vector `a` to +z (Rodrigues). */
function rotationToZ(a: Vec3): number[] {
  const [x, y, z] = a;
  if (z < -1 + 1e-9) return [1, 0, 0, 0, -1, 0, 0, 0, -1];
  // v = a x z = (y, -x, 0), c = a . z = z; R = I + [v]x + [v]x^2 / (1 + c).
  const k = 1 / (1 + z);
  return [1 - x * x * k, -x * y * k, -x, -x * y * k, 1 - y * y * k, -y, x, y, 1 - (x * x + y * y) * k];
}

const rotate = (r: readonly number[], v: readonly number[]): Vec3 => [
  r[0] * v[0] + r[1] * v[1] + r[2] * v[2],
  r[3] * v[0] + r[4] * v[1] + r[5] * v[2],
  r[6] * v[0] + r[7] * v[1] + r[8] * v[2],
];

/** The point nearest all the optical axes (least squares), or null when it is ill-defined or behind the cameras. */
function centreOfAttention(origins: Vec3[], forwards: Vec3[]): Vec3 | null {
  const A = [0, 0, 0, 0, 0, 0, 0, 0, 0],
    b = [0, 0, 0];
  origins.forEach((o, n) => {
    const d = forwards[n];
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        const m = (i === j ? 1 : 0) - d[i] * d[j];
        A[3 * i + j] += m;
        b[i] += m * o[j];
      }
    }
  });
  const det = A[0] * (A[4] * A[8] - A[5] * A[7]) - A[1] * (A[3] * A[8] - A[5] * A[6]) + A[2] * (A[3] * A[7] - A[4] * A[6]);
  if (!(Math.abs(det) > 1e-9 * origins.length ** 3)) return null;
  const solve = (col: number): number => {
    const M = [...A];
    for (let i = 0; i < 3; i++) M[3 * i + col] = b[i];
    return (M[0] * (M[4] * M[8] - M[5] * M[7]) - M[1] * (M[3] * M[8] - M[5] * M[6]) + M[2] * (M[3] * M[7] - M[4] * M[6])) / det;
  };
  const p: Vec3 = [solve(0), solve(1), solve(2)];
  const ahead = origins.reduce((s, o, n) => s + [0, 1, 2].reduce((t, a) => t + (p[a] - o[a]) * forwards[n][a], 0), 0);
  return ahead > 0 ? p : null;
}

function median(values: number[]): number {
  const s = [...values].sort((x, y) => x - y);
  return s.length === 0 ? Number.NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function percentile(sorted: Float64Array | number[], q: number): number {
  const pos = (sorted.length - 1) * q,
    lo = Math.floor(pos),
    hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/**
 * How the file's world becomes the dataset's: up (the cameras' mean up vector) to +z, the origin at the
 * cameras' centre of attention (for a forward-facing capture, whose axes do not meet, the point straight
 * ahead of the cameras at the median scene depth), and a scale that puts the cameras 4 units away on average.
 */
export function normalizeWorld(scene: CapturedScene): WorldTransform {
  if (scene.region) return { rotation: [1, 0, 0, 0, 1, 0, 0, 0, 1], center: [0, 0, 0], scale: 1 };
  const ups = scene.frames.map((f) => unit(column(f.c2w, 1)));
  const meanUp = [0, 1, 2].map((a) => ups.reduce((s, u) => s + u[a], 0) / ups.length);
  const rotation = Math.hypot(meanUp[0], meanUp[1], meanUp[2]) > 1e-6 ? rotationToZ(unit(meanUp)) : [1, 0, 0, 0, 1, 0, 0, 0, 1];
  const origins = scene.frames.map((f) => column(f.c2w, 3));
  const forwards = scene.frames.map((f) => unit(column(f.c2w, 2).map((v) => -v)));
  const meanForward = [0, 1, 2].map((a) => forwards.reduce((s, d) => s + d[a], 0) / forwards.length);
  const aligned = Math.hypot(meanForward[0], meanForward[1], meanForward[2]);
  let center = aligned < FORWARD_FACING ? centreOfAttention(origins, forwards) : null;
  if (center === null) {
    const depth = medianSceneDepth(scene, origins, forwards);
    if (!Number.isFinite(depth)) {
      throw new DataError(
        `${scene.source}: the cameras all look the same way and the scene gives no depths (no sparse points or bounds), ` +
          'so its centre is unknown',
      );
    }
    const look = unit(meanForward);
    const mean = [0, 1, 2].map((a) => origins.reduce((s, o) => s + o[a], 0) / origins.length);
    center = [0, 1, 2].map((a) => mean[a] + depth * look[a]) as unknown as Vec3;
  }
  const c = center;
  const distance = origins.reduce((s, o) => s + Math.hypot(o[0] - c[0], o[1] - c[1], o[2] - c[2]), 0) / origins.length;
  if (!(distance > 0)) throw new DataError(`${scene.source}: every camera is at the same point; cannot set the scene's scale`);
  return { rotation, center: c, scale: CAMERA_DISTANCE / distance };
}

/** The median over views of the middle of each view's depth range, or of the sparse points' depths. */
function medianSceneDepth(scene: CapturedScene, origins: Vec3[], forwards: Vec3[]): number {
  const ranges = scene.frames.flatMap((f) => (f.depthRange ? [(f.depthRange[0] + f.depthRange[1]) / 2] : []));
  if (ranges.length > 0) return median(ranges);
  const points = scene.points;
  if (!points || points.length === 0) return Number.NaN;
  const depths: number[] = [];
  origins.forEach((o, n) => {
    const d = forwards[n];
    for (let p = 0; p < points.length; p += 3) {
      const z = (points[p] - o[0]) * d[0] + (points[p + 1] - o[1]) * d[1] + (points[p + 2] - o[2]) * d[2];
      if (z > 0) depths.push(z);
    }
  });
  return median(depths);
}

export function applyWorldTransform(world: WorldTransform, c2w: readonly number[]): number[] {
  const { rotation: r, center, scale } = world;
  const out = new Array<number>(12);
  for (let k = 0; k < 3; k++) {
    const col = rotate(r, column(c2w, k));
    for (let i = 0; i < 3; i++) out[4 * i + k] = col[i];
  }
  const t = rotate(
    r,
    [0, 1, 2].map((a) => c2w[4 * a + 3] - center[a]),
  );
  for (let i = 0; i < 3; i++) out[4 * i + 3] = scale * t[i];
  return out;
}

function transformPoints(world: WorldTransform, points: Float64Array): Float64Array {
  const out = new Float64Array(points.length);
  for (let p = 0; p < points.length; p += 3) {
    const q = rotate(world.rotation, [points[p] - world.center[0], points[p + 1] - world.center[1], points[p + 2] - world.center[2]]);
    out[p] = world.scale * q[0];
    out[p + 1] = world.scale * q[1];
    out[p + 2] = world.scale * q[2];
  }
  return out;
}

/** The nearest scene depth any view sees, from LLFF bounds or the sparse points (dataset units), or NaN. */
function nearestDepth(cameras: readonly Camera[], frames: readonly CapturedFrame[], scale: number, points: Float64Array | null): number {
  const ranges = frames.flatMap((f) => (f.depthRange ? [f.depthRange[0] * scale] : []));
  if (ranges.length > 0) return Math.min(...ranges);
  if (!points || points.length === 0) return Number.NaN;
  let nearest = Infinity;
  for (const cam of cameras) {
    const o = column(cam.c2w, 3),
      d = unit(column(cam.c2w, 2).map((v) => -v));
    const depths: number[] = [];
    for (let p = 0; p < points.length; p += 3) {
      const z = (points[p] - o[0]) * d[0] + (points[p + 1] - o[1]) * d[1] + (points[p + 2] - o[2]) * d[2];
      if (z > 0) depths.push(z);
    }
    if (depths.length > 0)
      nearest = Math.min(
        nearest,
        percentile(
          depths.sort((x, y) => x - y),
          0.01,
        ),
      );
  }
  return Number.isFinite(nearest) ? nearest : Number.NaN;
}

/** The box holding the middle 98% of the points along each axis, grown by 5%; null without points. */
function pointsBox(points: Float64Array | null): Aabb | null {
  if (!points || points.length < 3 * 8) return null;
  const min: number[] = [],
    max: number[] = [];
  for (let a = 0; a < 3; a++) {
    const values = new Float64Array(points.length / 3);
    for (let p = 0; p < values.length; p++) values[p] = points[3 * p + a];
    values.sort();
    const lo = percentile(values, 0.01),
      hi = percentile(values, 0.99),
      pad = 0.05 * (hi - lo);
    min.push(lo - pad);
    max.push(hi + pad);
  }
  return { min: min as unknown as Vec3, max: max as unknown as Vec3 };
}

/**
 * A folder the format names (`images`) may have downscaled copies beside it (`images_2`, `images_4`,
 * `images_8`, as COLMAP, LLFF and nerfstudio write them, possibly as PNG where the originals are JPEG): decoding
 * the smallest copy still at least `width` wide is many times faster for a phone's 12-megapixel frames.
 */
function smallestSufficientCopy(frame: CapturedFrame, width: number, listings: Map<string, string[]>): string {
  const folder = dirname(frame.imagePath);
  const stem = basename(frame.imagePath, extname(frame.imagePath));
  for (const factor of [8, 4, 2]) {
    const copyDir = `${folder}_${factor}`;
    if (frame.intrinsics.width / factor < width) continue;
    if (!listings.has(copyDir)) listings.set(copyDir, existsSync(copyDir) ? readdirSync(copyDir) : []);
    const match = listings.get(copyDir)?.find((f) => basename(f, extname(f)) === stem && /\.(png|jpe?g)$/i.test(f));
    if (!match) continue;
    const path = join(copyDir, match);
    const size = imageSize(path, frame.where);
    const { width: w, height: h } = frame.intrinsics;
    if (Math.abs(size.width - w / factor) <= 1 && Math.abs(size.height - h / factor) <= 1) return path;
  }
  return frame.imagePath;
}

/**
 * Decodes every frame's image (checking its size against the intrinsics) and box-filters it to the output
 * size; images with alpha are composited onto white, the NeRF convention.
 */
function decodeFrames(frames: readonly CapturedFrame[], sizes: readonly [number, number][]): CachedImage[] {
  const listings = new Map<string, string[]>();
  return frames.map((frame, i) => {
    const [outW, outH] = sizes[i];
    const path = smallestSufficientCopy(frame, outW, listings);
    const img = readImage(path, frame.where);
    const { width, height } = frame.intrinsics;
    if (path === frame.imagePath && (img.width !== width || img.height !== height)) {
      const turned = img.width === height && img.height === width ? ' (turned a quarter: an EXIF orientation the poses do not share?)' : '';
      throw new DataError(`${frame.where}: image ${path} is ${img.width}x${img.height}, the intrinsics say ${width}x${height}${turned}`);
    }
    return { width: outW, height: outH, rgb: resampleRgbaOnto(img.data, img.width, img.height, outW, outH, [1, 1, 1]) };
  });
}

/** The per-channel median of the images' border pixels: what a ray leaving the scene most likely sees. */
export function borderColor(images: readonly CachedImage[]): Vec3 {
  const channels: number[][] = [[], [], []];
  for (const { width, height, rgb } of images) {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        if (y !== 0 && y !== height - 1 && x !== 0 && x !== width - 1) continue;
        for (let c = 0; c < 3; c++) channels[c].push(rgb[3 * (y * width + x) + c]);
      }
    }
  }
  return channels.map(median) as unknown as Vec3;
}

/** The fraction of border pixels within 0.05 of `color` in every channel. */
function borderAgreement(images: readonly CachedImage[], color: Vec3): number {
  let near = 0,
    count = 0;
  for (const { width, height, rgb } of images) {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        if (y !== 0 && y !== height - 1 && x !== 0 && x !== width - 1) continue;
        const p = 3 * (y * width + x);
        count++;
        if (Math.abs(rgb[p] - color[0]) < 0.05 && Math.abs(rgb[p + 1] - color[1]) < 0.05 && Math.abs(rgb[p + 2] - color[2]) < 0.05) near++;
      }
    }
  }
  return near / Math.max(1, count);
}

/**
 * Image borders this uniform are a backdrop (a masked or studio capture, a synthetic render), not a world
 * behind the object: there is nothing beyond the object to model, and contraction would only give the
 * backdrop somewhere to turn into density.
 */
const UNIFORM_BACKDROP = 0.9;

/**
 * The box around the points of `cube` that at least three quarters of the cameras see (inside their image): where the
 * cameras look, for a bounded scene without sparse points. null when no point qualifies.
 */
function viewedBox(cameras: readonly Camera[], cube: Aabb): Aabb | null {
  const n = 40;
  const step = [0, 1, 2].map((a) => (cube.max[a] - cube.min[a]) / (n - 1));
  const lo = [Infinity, Infinity, Infinity],
    hi = [-Infinity, -Infinity, -Infinity];
  const need = Math.ceil((3 * cameras.length) / 4);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      for (let k = 0; k < n; k++) {
        const p: Vec3 = [cube.min[0] + i * step[0], cube.min[1] + j * step[1], cube.min[2] + k * step[2]];
        let seen = 0;
        for (const cam of cameras) {
          const at = projectPoint(cam, p);
          if (at && at[0] >= 0 && at[1] >= 0 && at[0] <= cam.width && at[1] <= cam.height && ++seen >= need) break;
        }
        if (seen < need) continue;
        for (let a = 0; a < 3; a++) {
          lo[a] = Math.min(lo[a], p[a]);
          hi[a] = Math.max(hi[a], p[a]);
        }
      }
    }
  }
  if (lo[0] === Infinity) return null;
  return { min: lo.map((v, a) => v - step[a]) as unknown as Vec3, max: hi.map((v, a) => v + step[a]) as unknown as Vec3 };
}

/** Builds the dataset of a parsed capture; `dir` is the scene folder (its name names the dataset). */
export function assembleCapturedScene(dir: string, scene: CapturedScene, options: CapturedSceneOptions = {}): LoadedScene {
  const resolution = options.resolution ?? 100;
  if (!Number.isInteger(resolution) || resolution < 1) {
    throw new ConfigError(`captured scene ${dir}: resolution ${resolution} must be a positive integer`);
  }
  const every = options.holdOutEvery ?? 8;
  const mode = options.contraction ?? 'auto';
  if (!['auto', 'on', 'off'].includes(mode)) {
    throw new ConfigError(`captured scene ${dir}: contraction '${mode}' is not one of auto, on, off`);
  }
  if (scene.frames.length === 0) throw new DataError(`${scene.source}: no frames`);
  const frames = [...scene.frames].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const f of frames) checkPose(f.c2w, f.where);

  const world = normalizeWorld({ ...scene, frames });
  const sizes = frames.map((f): [number, number] => [
    resolution,
    Math.max(1, Math.round((f.intrinsics.height * resolution) / f.intrinsics.width)),
  ]);
  const cameras = frames.map((f, i): Camera => {
    const { width, height, fx, fy, cx, cy, distortion } = f.intrinsics;
    const full: Camera = { width, height, focal: fx, focalY: fy, cx, cy, distortion, c2w: applyWorldTransform(world, f.c2w) };
    return scaleCamera(full, sizes[i][0], sizes[i][1]);
  });
  const points = scene.points ? transformPoints(world, scene.points) : null;

  const cacheDir = options.cacheDir === undefined ? defaultImageCacheDir() : options.cacheDir;
  const sorted = frames.map((f) => f.imagePath);
  const key = imageCacheKey(`${scene.format}\n${scene.text}`, sorted, resolution);
  const cachePath = cacheDir === null ? null : join(cacheDir, `${basename(dir)}-captured-${resolution}-${key}.bin`);
  const images = cachedImages(cachePath, () => decodeFrames(frames, sizes));
  const background = borderColor(images);
  const backdrop = borderAgreement(images, background);

  // The scene's extent: the region the format names, or the cube around the cameras.
  const region = scene.region ?? {
    center: [0, 0, 0] as Vec3,
    radius: Math.max(...cameras.map((c) => Math.max(Math.abs(c.c2w[3]), Math.abs(c.c2w[7]), Math.abs(c.c2w[11])))),
    aabbScale: Infinity,
  };
  const contracted = mode === 'on' || (mode === 'auto' && (scene.region ? region.aabbScale > 1 : backdrop < UNIFORM_BACKDROP));
  const contraction: SceneContraction | null = contracted
    ? {
        center: region.center,
        radius: region.radius,
        outer: region.aabbScale > 1 && Number.isFinite(region.aabbScale) ? region.aabbScale : UNBOUNDED_OUTER,
      }
    : null;
  const crop = Number.isFinite(region.aabbScale) ? region.aabbScale : 1;
  const regionBox: Aabb = {
    min: region.center.map((v) => v - crop * region.radius) as unknown as Vec3,
    max: region.center.map((v) => v + crop * region.radius) as unknown as Vec3,
  };
  const bbox = contraction ? CONTRACTED_BOX : scene.region ? regionBox : (pointsBox(points) ?? viewedBox(cameras, regionBox) ?? regionBox);
  const nearest = nearestDepth(cameras, frames, world.scale, points);
  const near = Number.isFinite(nearest) ? Math.max(0.5 * nearest, 0.01 * region.radius) : 0.05 * region.radius;
  const diagonal = Math.hypot(bbox.max[0] - bbox.min[0], bbox.max[1] - bbox.min[1], bbox.max[2] - bbox.min[2]);
  const reach = contraction ? contraction.outer * region.radius : diagonal;
  const [cx, cy, cz] = region.center;
  const farthest = Math.max(...cameras.map((c) => Math.hypot(c.c2w[3] - cx, c.c2w[7] - cy, c.c2w[11] - cz)));
  const far = 2 * (reach + farthest);

  const views = frames.map((f, i): SceneView => ({ name: f.name, camera: cameras[i], rgb: images[i].rgb }));
  const split = scene.heldOut
    ? { train: views.filter((v) => !scene.heldOut?.has(v.name)), test: views.filter((v) => scene.heldOut?.has(v.name)) }
    : holdOutEvery(views, every);
  if (split.train.length === 0) throw new DataError(`${scene.source}: every view is held out; none is left to train on`);

  const dataset: SceneDataset = { name: basename(dir), train: split.train, test: split.test, bbox, near, far, background, contraction };
  const lenses = new Set(frames.map((f) => f.intrinsics.distortion?.model ?? 'pinhole'));
  const list = (v: readonly number[]): string => v.map((x) => x.toFixed(2)).join(', ');
  const { width, height } = frames[0].intrinsics;
  const extent = contraction
    ? `unbounded: contracted beyond the cube of half-size ${region.radius.toFixed(2)}` +
      (contraction.outer !== UNBOUNDED_OUTER ? `, cropped at ${contraction.outer}x` : '')
    : `bounded box [${list(bbox.min)}] to [${list(bbox.max)}]`;
  const verdict = backdrop < UNIFORM_BACKDROP ? 'a world behind the scene' : 'a uniform backdrop, so bounded';
  const why = mode === 'auto' && !scene.region ? `: ${verdict}` : '';
  const description = [
    `${scene.format} (${scene.source}): ${frames.length} views (${split.test.length} held out, ` +
      `${scene.heldOut ? "the format's split" : `every ${every}th`}), ${[...lenses].join(' and ')} lens, ` +
      `${width}x${height} images at ${sizes[0][0]}x${sizes[0][1]}${points ? `, ${points.length / 3} sparse points` : ''}`,
    scene.region
      ? `instant-ngp world (aabb_scale ${scene.region.aabbScale})`
      : `world normalised (up +z, centre of attention at the origin, cameras ${CAMERA_DISTANCE} away)`,
    extent,
    `background (${list(background)}) from the image borders (${(100 * backdrop).toFixed(0)}% of them within 0.05 of it${why})`,
  ].join('; ');
  return { dataset, description, world };
}
