// How a scene's training views are split over devices: by contiguous arcs of camera azimuth (each device
// sees the scene from one side, the hard non-IID case), or at random.

import { ConfigError, SeededRandom } from '@strata/shared';
import { cameraAzimuth } from '../data/camera.js';
import type { SceneView } from '../data/scene-dataset.js';

export type ViewPartition = 'azimuth' | 'random';

/** Splits `views` into `devices` disjoint groups of (nearly) equal size. */
export function partitionViews(views: readonly SceneView[], devices: number, mode: ViewPartition, seed: number): SceneView[][] {
  if (!Number.isInteger(devices) || devices < 1 || devices > views.length) {
    throw new ConfigError(`view partition: ${devices} devices for ${views.length} views; need 1 <= devices <= views`);
  }
  let order: SceneView[];
  if (mode === 'azimuth') {
    order = [...views].sort((a, b) => cameraAzimuth(a.camera) - cameraAzimuth(b.camera));
  } else if (mode === 'random') {
    order = new SeededRandom(seed).fork('views').shuffle([...views]);
  } else {
    throw new ConfigError(`view partition "${String(mode)}" is not one of azimuth, random`);
  }
  const groups: SceneView[][] = [];
  for (let d = 0; d < devices; d++) {
    groups.push(order.slice(Math.floor((d * order.length) / devices), Math.floor(((d + 1) * order.length) / devices)));
  }
  return groups;
}
