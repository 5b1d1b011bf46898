// A procedural scene with known ground truth and no files: a few soft-edged spheres and boxes with
// constant colours, seen from cameras on the upper hemisphere (as in the Blender scenes) and rendered with
// the same compositing equation the model uses, marched finely through the analytic density.

import { ConfigError, SeededRandom } from '@strata/shared';
import type { Vec3 } from '../model/grid-geometry.js';
import { focalFromFov, orbitCamera, writePixelRay, type Camera } from './camera.js';
import { holdOutEvery, type SceneDataset, type SceneView } from './scene-dataset.js';

export interface ProceduralSceneOptions {
  readonly seed?: number;
  /** Image width and height in pixels. Default 48. */
  readonly size?: number;
  /** Number of views (every 8th is held out). Default 48. */
  readonly views?: number;
  /** Number of shapes. Default 5. */
  readonly shapes?: number;
  /** Width of the smooth boundary of each shape (world units). Default 0.04. */
  readonly softness?: number;
  /** Density inside a shape (per world unit). Default 40. */
  readonly density?: number;
}

interface Shape {
  readonly kind: 'sphere' | 'box';
  readonly centre: Vec3;
  /** Sphere radius, or box half-extents. */
  readonly size: Vec3;
  readonly color: Vec3;
  /** Squared radius of the sphere outside which the shape's density is cut to zero. */
  readonly reach2: number;
}

/** A shape's density falls as a logistic of its signed distance and is cut beyond this many softness widths. */
const CUTOFF = 10;

const FOV_X = 0.6911112070083618;
const RADIUS = 4;
/** The shapes lie inside [-1, 1]^3; the scene box leaves a margin like the Blender scenes'. */
const CONTENT = 1;

export class ProceduralScene {
  readonly shapes: readonly Shape[];
  private readonly softness: number;
  private readonly sigma: number;

  constructor(readonly options: ProceduralSceneOptions = {}) {
    const rng = new SeededRandom(options.seed ?? 1).fork('shapes');
    const count = options.shapes ?? 5;
    if (!Number.isInteger(count) || count < 1) throw new ConfigError(`procedural scene: shapes ${count} must be a positive integer`);
    this.softness = options.softness ?? 0.04;
    this.sigma = options.density ?? 40;
    const shapes: Shape[] = [];
    for (let i = 0; i < count; i++) {
      const r = 0.25 + 0.25 * rng.next();
      const centre: Vec3 = [0, 1, 2].map(() => (rng.next() * 2 - 1) * (CONTENT - r)) as unknown as Vec3;
      const color: Vec3 = [0.1 + 0.8 * rng.next(), 0.1 + 0.8 * rng.next(), 0.1 + 0.8 * rng.next()];
      const kind = i % 2 === 0 ? 'sphere' : 'box';
      const size: Vec3 = kind === 'sphere' ? [r, r, r] : [r, r * (0.5 + 0.5 * rng.next()), r * (0.5 + 0.5 * rng.next())];
      const reach = Math.hypot(size[0], size[1], size[2]) + CUTOFF * this.softness;
      shapes.push({ kind, centre, size, color, reach2: reach * reach });
    }
    this.shapes = shapes;
  }

  /** Density and colour at a point: densities add, colour is their density-weighted mean. */
  sample(x: number, y: number, z: number, out: Float64Array): void {
    let sigma = 0,
      r = 0,
      g = 0,
      b = 0;
    for (const s of this.shapes) {
      const px = x - s.centre[0],
        py = y - s.centre[1],
        pz = z - s.centre[2];
      if (px * px + py * py + pz * pz > s.reach2) continue;
      let dist: number;
      if (s.kind === 'sphere') {
        dist = Math.hypot(px, py, pz) - s.size[0];
      } else {
        const qx = Math.abs(px) - s.size[0],
          qy = Math.abs(py) - s.size[1],
          qz = Math.abs(pz) - s.size[2];
        dist = Math.hypot(Math.max(qx, 0), Math.max(qy, 0), Math.max(qz, 0)) + Math.min(Math.max(qx, qy, qz), 0);
      }
      if (dist > CUTOFF * this.softness) continue;
      const d = this.sigma / (1 + Math.exp(dist / this.softness));
      sigma += d;
      r += d * s.color[0];
      g += d * s.color[1];
      b += d * s.color[2];
    }
    out[0] = sigma;
    if (sigma > 0) {
      out[1] = r / sigma;
      out[2] = g / sigma;
      out[3] = b / sigma;
    }
  }

  /** Renders the ground truth of `camera` on a white background (step 0.01 through the content box). */
  render(camera: Camera): Float32Array {
    return this.renderOnto(camera, () => [1, 1, 1]);
  }

  /**
   * Renders the ground truth of `camera`, each ray composited onto `background(origin, direction, tEnd)`'s
   * colour, where tEnd is where the ray left the content box.
   */
  renderOnto(camera: Camera, background: (o: Vec3, d: Vec3, tEnd: number) => Vec3): Float32Array {
    const { width, height } = camera;
    const rgb = new Float32Array(width * height * 3);
    const origins = new Float64Array(3),
      dirs = new Float64Array(3);
    const step = 0.01;
    const s = new Float64Array(4);
    for (let py = 0; py < height; py++) {
      for (let px = 0; px < width; px++) {
        writePixelRay(camera, px + 0.5, py + 0.5, origins, dirs, 0);
        const o: Vec3 = [origins[0], origins[1], origins[2]];
        const d: Vec3 = [dirs[0], dirs[1], dirs[2]];
        let t0 = 0,
          t1 = Infinity;
        for (let a = 0; a < 3; a++) {
          const lo = (-CONTENT - 0.1 - o[a]) / d[a],
            hi = (CONTENT + 0.1 - o[a]) / d[a];
          t0 = Math.max(t0, Math.min(lo, hi));
          t1 = Math.min(t1, Math.max(lo, hi));
        }
        let T = 1,
          r = 0,
          g = 0,
          b = 0;
        for (let t = t0 + step / 2; t < t1 && T > 1e-5; t += step) {
          this.sample(o[0] + t * d[0], o[1] + t * d[1], o[2] + t * d[2], s);
          const alpha = 1 - Math.exp(-s[0] * step);
          r += T * alpha * s[1];
          g += T * alpha * s[2];
          b += T * alpha * s[3];
          T *= 1 - alpha;
        }
        const bg = background(o, d, Math.max(t0, t1));
        const p = 3 * (py * width + px);
        rgb[p] = r + T * bg[0];
        rgb[p + 1] = g + T * bg[1];
        rgb[p + 2] = b + T * bg[2];
      }
    }
    return rgb;
  }

  /** The posed views: azimuths evenly around, elevations spread over 10 to 60 degrees. */
  cameras(): Camera[] {
    const size = this.options.size ?? 48;
    const count = this.options.views ?? 48;
    const rng = new SeededRandom(this.options.seed ?? 1).fork('cameras');
    const focal = focalFromFov(FOV_X, size);
    const cams: Camera[] = [];
    for (let i = 0; i < count; i++) {
      const azimuth = (2 * Math.PI * i) / count - Math.PI + 0.3 * rng.next();
      const elevation = ((10 + 50 * rng.next()) * Math.PI) / 180;
      cams.push(orbitCamera(azimuth, elevation, RADIUS, size, size, focal));
    }
    return cams;
  }

  dataset(): SceneDataset {
    const views: SceneView[] = this.cameras().map((camera, i) => ({ name: `procedural/${i}`, camera, rgb: this.render(camera) }));
    const { train, test } = holdOutEvery(views, 8);
    return {
      name: `procedural-${this.options.seed ?? 1}`,
      train,
      test,
      bbox: { min: [-1.5, -1.5, -1.5], max: [1.5, 1.5, 1.5] },
      near: 2,
      far: 6,
      background: [1, 1, 1],
    };
  }
}
