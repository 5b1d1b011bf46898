// A procedural scene that is not in a box, with known ground truth: the procedural scene's shapes (the
// object) standing on a floor that runs out to a distant, textured sky dome, seen from the same orbiting
// cameras. Everything beyond the object is low-frequency texture at real depths (the floor, the dome 3 times
// as far away as the cameras), so a model that places it where it is can fit it, and one that must paint it
// inside a bounded box cannot for every view at once.

import type { Aabb, Vec3 } from '../model/grid-geometry.js';
import { CONTRACTED_BOX, UNBOUNDED_OUTER, type SceneContraction } from '../model/scene-contraction.js';
import type { Camera } from './camera.js';
import { borderColor } from './captured-scene.js';
import { ProceduralScene, type ProceduralSceneOptions } from './procedural-scene.js';
import { holdOutEvery, type SceneDataset, type SceneView } from './scene-dataset.js';

/** The floor's height (the shapes lie in [-1, 1]^3) and the sky dome's radius. */
const FLOOR_Z = -1.2;
const DOME_RADIUS = 12;
/** The procedural scene's cameras orbit at 4: the inner box of the contraction encloses them. */
const CAMERA_RADIUS = 4;

export class UnboundedProceduralScene {
  readonly object: ProceduralScene;

  constructor(readonly options: ProceduralSceneOptions = {}) {
    this.object = new ProceduralScene(options);
  }

  /** What a ray sees past the object: the floor if it reaches it inside the dome, else the dome. */
  backdrop(o: Vec3, d: Vec3): Vec3 {
    const b = o[0] * d[0] + o[1] * d[1] + o[2] * d[2];
    const tDome = -b + Math.sqrt(b * b - (o[0] * o[0] + o[1] * o[1] + o[2] * o[2] - DOME_RADIUS * DOME_RADIUS));
    const tFloor = d[2] < 0 ? (FLOOR_Z - o[2]) / d[2] : Infinity;
    if (tFloor < tDome) {
      const x = o[0] + tFloor * d[0],
        y = o[1] + tFloor * d[1];
      const s = Math.sin(1.3 * x) * Math.sin(1.3 * y);
      return [0.45 + 0.25 * s, 0.4 + 0.2 * s, 0.3 + 0.1 * Math.cos(0.7 * x)];
    }
    const p = [o[0] + tDome * d[0], o[1] + tDome * d[1], o[2] + tDome * d[2]];
    const az = Math.atan2(p[1], p[0]),
      el = Math.asin(Math.max(-1, Math.min(1, p[2] / DOME_RADIUS)));
    return [0.55 + 0.3 * Math.sin(3 * az + 2 * el), 0.6 + 0.25 * Math.cos(2 * az - 3 * el), 0.8 + 0.15 * Math.sin(5 * el + az)];
  }

  render(camera: Camera): Float32Array {
    return this.object.renderOnto(camera, (o, d) => this.backdrop(o, d));
  }

  /**
   * The views (every 8th held out) with the scene's extent as a capture loader would set it: contracted beyond
   * the cube around the cameras, or (contraction off) that cube as a bounded box; the background colour in
   * both is the image borders' median.
   */
  dataset(contracted: boolean): SceneDataset {
    const views: SceneView[] = this.object.cameras().map((camera, i) => ({ name: `unbounded/${i}`, camera, rgb: this.render(camera) }));
    const { train, test } = holdOutEvery(views, 8);
    const contraction: SceneContraction = { center: [0, 0, 0], radius: CAMERA_RADIUS, outer: UNBOUNDED_OUTER };
    const box: Aabb = { min: [-CAMERA_RADIUS, -CAMERA_RADIUS, -CAMERA_RADIUS], max: [CAMERA_RADIUS, CAMERA_RADIUS, CAMERA_RADIUS] };
    return {
      name: `unbounded-procedural-${this.options.seed ?? 1}`,
      train,
      test,
      bbox: contracted ? CONTRACTED_BOX : box,
      near: 0.2,
      far: contracted ? 2 * CAMERA_RADIUS * UNBOUNDED_OUTER : 4 * CAMERA_RADIUS,
      background: borderColor(train.map((v) => ({ width: v.camera.width, height: v.camera.height, rgb: v.rgb }))),
      contraction: contracted ? contraction : null,
    };
  }
}
