// A cache of decoded, resampled scene images as floats under the repo's ignored .cache/ folder, keyed by the
// scene description's text and the images' paths, sizes and modification times (so an edited or replaced
// image is decoded again), and the output width.

import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findRepoRoot } from '../../recsys/data/data-dir.js';

export interface CachedImage {
  readonly width: number;
  readonly height: number;
  /** rgb in [0, 1], row by row. */
  readonly rgb: Float32Array;
}

/** The default cache folder: <repo root>/.cache/radiance. */
export function defaultImageCacheDir(): string {
  return join(findRepoRoot(), '.cache', 'radiance');
}

export function imageCacheKey(text: string, images: readonly string[], resolution: number): string {
  let h = 0x811c9dc5;
  const mix = (s: string): void => {
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  };
  mix(text);
  mix(String(resolution));
  for (const path of images) {
    const st = statSync(path);
    mix(`${path}:${st.size}:${st.mtimeMs}`);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** The cached images at `path`, or `load()`'s, written to `path` for next time; null `path`: no cache. */
export function cachedImages(path: string | null, load: () => CachedImage[]): CachedImage[] {
  const cached = path === null ? null : readImageCache(path);
  if (cached) return cached;
  const images = load();
  if (path !== null) writeImageCache(path, images);
  return images;
}

// Cache file: little-endian uint32 [magic, version, count], then [width, height] per image, then the floats.
const CACHE_MAGIC = 0x52534353;
const CACHE_VERSION = 2;

function readImageCache(path: string): CachedImage[] | null {
  if (!existsSync(path)) return null;
  const bytes = readFileSync(path);
  if (bytes.length < 12) return null;
  const words = (offset: number, n: number): Uint32Array =>
    new Uint32Array(bytes.buffer.slice(bytes.byteOffset + offset, bytes.byteOffset + offset + 4 * n));
  const [magic, version, count] = words(0, 3);
  if (magic !== CACHE_MAGIC || version !== CACHE_VERSION || bytes.length < 12 + 8 * count) return null;
  const sizes = words(12, 2 * count);
  let floats = 0;
  for (let i = 0; i < count; i++) floats += 3 * sizes[2 * i] * sizes[2 * i + 1];
  const start = 12 + 8 * count;
  if (bytes.length !== start + 4 * floats) return null;
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset + start, bytes.byteOffset + bytes.length));
  const images: CachedImage[] = [];
  let offset = 0;
  for (let i = 0; i < count; i++) {
    const width = sizes[2 * i],
      height = sizes[2 * i + 1];
    images.push({ width, height, rgb: all.subarray(offset, offset + 3 * width * height) });
    offset += 3 * width * height;
  }
  return images;
}

function writeImageCache(path: string, images: readonly CachedImage[]): void {
  const header = new Uint32Array([CACHE_MAGIC, CACHE_VERSION, images.length, ...images.flatMap((i) => [i.width, i.height])]);
  mkdirSync(join(path, '..'), { recursive: true });
  // Write then rename, so a concurrent reader never sees half a file.
  const tmp = `${path}.${process.pid}.tmp`;
  const bodies = images.map((i) => Buffer.from(i.rgb.buffer, i.rgb.byteOffset, i.rgb.byteLength));
  writeFileSync(tmp, Buffer.concat([Buffer.from(header.buffer), ...bodies]));
  renameSync(tmp, path);
}
