// One entry point for a scene folder in any format Strata reads: it detects the format from the files present
// (Blender's transforms_train.json, a nerfstudio or instant-ngp transforms.json, LLFF's poses_bounds.npy, a
// COLMAP text model), loads it, and says which it found and how it set the scene up.

import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DataError } from '@strata/shared';
import { assembleCapturedScene, type CapturedSceneOptions, type LoadedScene } from './captured-scene.js';
import { loadBlenderScene } from './load-blender-scene.js';
import { findColmapModel, parseColmapText, COLMAP_MODEL_DIRS } from './load-colmap-text.js';
import { parseLlffScene } from './load-llff-scene.js';
import { parseTransformsJson } from './load-transforms-json.js';

export function loadSceneFolder(folder: string, options: CapturedSceneOptions = {}): LoadedScene {
  const dir = resolve(folder);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new DataError(`${dir}: scene folder not found`);
  if (existsSync(join(dir, 'transforms.json'))) return assembleCapturedScene(dir, parseTransformsJson(dir), options);
  if (existsSync(join(dir, 'transforms_train.json'))) {
    const { resolution, holdOutEvery, cacheDir } = options;
    const dataset = loadBlenderScene(dir, { resolution, holdOutEvery, cacheDir });
    return {
      dataset,
      description:
        `Blender (NeRF synthetic) transforms_train.json (${dir}): ${dataset.train.length + dataset.test.length} views ` +
        `(${dataset.test.length} held out, every ${options.holdOutEvery ?? 8}th), bounded box [-1.5, 1.5]^3, white background`,
      world: { rotation: [1, 0, 0, 0, 1, 0, 0, 0, 1], center: [0, 0, 0], scale: 1 },
    };
  }
  if (existsSync(join(dir, 'poses_bounds.npy'))) return assembleCapturedScene(dir, parseLlffScene(dir), options);
  const model = findColmapModel(dir);
  if (model !== null) return assembleCapturedScene(dir, parseColmapText(dir, model), options);
  throw new DataError(
    `${dir}: no scene found: looked for transforms.json (nerfstudio, instant-ngp), transforms_train.json (Blender), ` +
      `poses_bounds.npy (LLFF) and cameras.txt (COLMAP text model, in ` +
      `${COLMAP_MODEL_DIRS.map((d) => (d === '.' ? 'the folder' : d)).join(', ')})`,
  );
}
