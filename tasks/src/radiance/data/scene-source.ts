// Where a radiance scene comes from: a scene folder in any format Strata reads (Blender, nerfstudio /
// instant-ngp, LLFF, COLMAP: loadSceneFolder detects which), the shared lego scene by default, or the procedural
// scene (known ground truth, no files). Every command and task entry loads scenes through this.

import { resolve } from 'node:path';
import { ConfigError } from '@strata/shared';
import type { ContractionMode, LoadedScene } from './captured-scene.js';
import { blenderSceneDir } from './load-blender-scene.js';
import { loadSceneFolder } from './load-scene-folder.js';
import { ProceduralScene } from './procedural-scene.js';
import type { SceneDataset } from './scene-dataset.js';

export interface SceneSource {
  /** A scene folder in any format loadSceneFolder reads; default: the shared lego scene. */
  readonly data?: string;
  /** The procedural scene instead of files (exclusive with `data`). */
  readonly procedural?: boolean;
  /** Image width in pixels. */
  readonly res: number;
  /** Views i with i % holdOutEvery == 0 are held out. */
  readonly holdOutEvery: number;
  /** Seeds the procedural scene. */
  readonly seed: number;
  /** Scene contraction for unbounded backgrounds (default auto: on unless the scene looks bounded). */
  readonly contraction?: ContractionMode;
}

/** The scene and a line saying what was found and how it was set up (format, views, box, contraction). */
export function loadScene(source: SceneSource): LoadedScene {
  if (source.procedural) {
    if (source.data) throw new ConfigError('--procedural and --data are exclusive');
    const dataset = new ProceduralScene({ seed: source.seed, size: source.res }).dataset();
    const description = `procedural scene (seed ${source.seed}): ${dataset.train.length + dataset.test.length} views`;
    return { dataset, description, world: IDENTITY_WORLD };
  }
  return loadSceneFolder(source.data ? resolve(source.data) : blenderSceneDir('lego'), {
    resolution: source.res,
    holdOutEvery: source.holdOutEvery,
    ...(source.contraction ? { contraction: source.contraction } : {}),
  });
}

export function loadSceneDataset(source: SceneSource): SceneDataset {
  return loadScene(source).dataset;
}

const IDENTITY_WORLD: LoadedScene['world'] = { rotation: [1, 0, 0, 0, 1, 0, 0, 0, 1], center: [0, 0, 0], scale: 1 };
