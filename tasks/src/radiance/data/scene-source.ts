// Where a radiance scene comes from: a Blender (NeRF synthetic) folder, the shared lego scene by default, or
// the procedural scene (known ground truth, no files). Every command and task entry loads scenes through this.

import { resolve } from 'node:path';
import { ConfigError } from '@strata/shared';
import { blenderSceneDir, loadBlenderScene } from './load-blender-scene.js';
import { ProceduralScene } from './procedural-scene.js';
import type { SceneDataset } from './scene-dataset.js';

export interface SceneSource {
  /** A Blender scene folder; default: the shared lego scene. */
  readonly data?: string;
  /** The procedural scene instead of files (exclusive with `data`). */
  readonly procedural?: boolean;
  /** Image width in pixels. */
  readonly res: number;
  /** Views i with i % holdOutEvery == 0 are held out. */
  readonly holdOutEvery: number;
  /** Seeds the procedural scene. */
  readonly seed: number;
}

export function loadSceneDataset(source: SceneSource): SceneDataset {
  if (source.procedural) {
    if (source.data) throw new ConfigError('--procedural and --data are exclusive');
    return new ProceduralScene({ seed: source.seed, size: source.res }).dataset();
  }
  return loadBlenderScene(source.data ? resolve(source.data) : blenderSceneDir('lego'), {
    resolution: source.res,
    holdOutEvery: source.holdOutEvery,
  });
}
