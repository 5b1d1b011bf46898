// A scene as the radiance tasks see it: posed views (images composited on the background) split into
// training and held-out views, with the box the scene lies in and the ray bounds.

import type { Aabb, Vec3 } from '../model/grid-geometry.js';
import type { SceneContraction } from '../model/scene-contraction.js';
import type { Camera } from './camera.js';

export interface SceneView {
  /** A name for messages and reports (the file path for loaded scenes). */
  readonly name: string;
  readonly camera: Camera;
  /** Pixels row by row, rgb in [0, 1], already composited on the background. */
  readonly rgb: Float32Array;
}

export interface SceneDataset {
  readonly name: string;
  readonly train: readonly SceneView[];
  readonly test: readonly SceneView[];
  /** A box that contains everything visible in the scene (in contracted coordinates when `contraction` is set). */
  readonly bbox: Aabb;
  readonly near: number;
  readonly far: number;
  readonly background: Vec3;
  /** Unbounded scenes: how space is contracted into `bbox` (see scene-contraction.ts); absent or null: none. */
  readonly contraction?: SceneContraction | null;
}

/** Index i goes to the held-out set when i % every === 0 (the NeRF "every 8th view" convention). */
export function holdOutEvery<T>(items: readonly T[], every: number): { train: T[]; test: T[] } {
  const train: T[] = [];
  const test: T[] = [];
  items.forEach((item, i) => (every > 0 && i % every === 0 ? test : train).push(item));
  return { train, test };
}
