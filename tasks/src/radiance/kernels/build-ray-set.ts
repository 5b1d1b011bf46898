// Builds the flat ray set of a list of posed views (every pixel's ray and colour).

import type { SceneView } from '../data/scene-dataset.js';
import { writeCameraRays } from '../data/camera.js';
import type { RaySet } from './ray-set.js';

/** All pixels of `views` as rays, in view order then row order; `shared` backs them by SharedArrayBuffers. */
export function buildRaySet(views: readonly SceneView[], shared = false): RaySet {
  const count = views.reduce((n, v) => n + v.camera.width * v.camera.height, 0);
  const floats = (n: number): Float32Array => (shared ? new Float32Array(new SharedArrayBuffer(n * 4)) : new Float32Array(n));
  const origins = floats(3 * count),
    dirs = floats(3 * count),
    colors = floats(3 * count);
  let offset = 0;
  for (const view of views) {
    writeCameraRays(view.camera, origins, dirs, offset);
    colors.set(view.rgb, 3 * offset);
    offset += view.camera.width * view.camera.height;
  }
  return { count, origins, dirs, colors };
}
