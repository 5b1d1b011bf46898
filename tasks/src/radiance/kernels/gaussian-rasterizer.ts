// Tile rasterizer for projected Gaussians (3DGS's forward and backward passes on the CPU): Gaussians are
// sorted by depth once, binned into 16x16-pixel tiles in that order, and each pixel composites its tile's
// list front to back (alpha = opacity * exp(-d^T K d / 2), capped at 0.99, skipped under 1/255, stopping
// when transmittance falls under 1e-4). The backward pass walks each pixel's list back to front from the
// last Gaussian it used, recovering transmittance by division, as the CUDA reference does.

import type { Camera } from '../data/camera.js';
import type { GaussianCloud } from '../model/gaussian-cloud.js';
import type { Vec3 } from '../model/grid-geometry.js';
import {
  ProjectedGaussians,
  ProjectedGradients,
  projectGaussians,
  projectGaussiansBackward,
  projectionCamera,
  type ProjectionCamera,
} from './gaussian-projection.js';

export const TILE_SIZE = 16;
const MIN_ALPHA = 1 / 255;
const MAX_ALPHA = 0.99;
const MIN_TRANSMITTANCE = 1e-4;
const INDEX_BITS = 2 ** 22;
const DEPTH_LEVELS = 2 ** 24 - 1;

/** One rendered frame: colour on the background, alpha-weighted camera depth, opacity. */
export interface RasterFrame {
  readonly width: number;
  readonly height: number;
  readonly rgb: Float32Array;
  /** Sum of weight * camera-space depth (divide by opacity for the expected depth of what was hit). */
  readonly depth: Float32Array;
  readonly opacity: Float32Array;
}

export class GaussianRasterizer {
  readonly projected = new ProjectedGaussians();
  readonly dProjected = new ProjectedGradients();
  private cam: ProjectionCamera | null = null;
  private cloud: GaussianCloud | null = null;
  private background: Vec3 = [0, 0, 0];
  private tilesX = 0;
  private tilesY = 0;
  private tileStart = new Int32Array(0);
  private tileList = new Int32Array(0);
  private finalT = new Float32Array(0);
  /** Per pixel: how many entries of its tile's list the forward pass walked through. */
  private walked = new Int32Array(0);
  /** Gaussian-pixel pairs composited by the last forward pass (work done, for benches). */
  composited = 0;

  /** Renders `cloud` from `camera` and keeps what the backward pass needs. */
  forward(cloud: GaussianCloud, camera: Camera, background: Vec3): RasterFrame {
    const cam = projectionCamera(camera);
    this.cam = cam;
    this.cloud = cloud;
    this.background = background;
    projectGaussians(cloud, cam, this.projected);
    this.binTiles(cloud.count, cam);
    return this.composite(cam);
  }

  private binTiles(count: number, cam: ProjectionCamera): void {
    const { radius, depth, mean2d } = this.projected;
    this.tilesX = Math.ceil(cam.width / TILE_SIZE);
    this.tilesY = Math.ceil(cam.height / TILE_SIZE);
    const tiles = this.tilesX * this.tilesY;
    let visible = 0,
      dmin = Infinity,
      dmax = -Infinity;
    for (let i = 0; i < count; i++) {
      if (radius[i] === 0) continue;
      visible++;
      if (depth[i] < dmin) dmin = depth[i];
      if (depth[i] > dmax) dmax = depth[i];
    }
    if (count >= INDEX_BITS) throw new RangeError(`gaussian rasterizer: ${count} Gaussians exceed ${INDEX_BITS}`);
    // Depth quantised to 24 bits above a 22-bit index: one native Float64Array sort orders them.
    const keys = new Float64Array(visible);
    const scale = dmax > dmin ? DEPTH_LEVELS / (dmax - dmin) : 0;
    for (let i = 0, k = 0; i < count; i++) {
      if (radius[i] !== 0) keys[k++] = Math.floor((depth[i] - dmin) * scale) * INDEX_BITS + i;
    }
    keys.sort();
    const counts = new Int32Array(tiles + 1);
    const rect = (i: number): [number, number, number, number] => {
      const r = radius[i],
        u = mean2d[2 * i],
        v = mean2d[2 * i + 1];
      return [
        Math.max(0, Math.floor((u - r) / TILE_SIZE)),
        Math.min(this.tilesX - 1, Math.floor((u + r) / TILE_SIZE)),
        Math.max(0, Math.floor((v - r) / TILE_SIZE)),
        Math.min(this.tilesY - 1, Math.floor((v + r) / TILE_SIZE)),
      ];
    };
    const order = new Int32Array(visible);
    for (let k = 0; k < visible; k++) {
      const i = keys[k] % INDEX_BITS;
      order[k] = i;
      const [x0, x1, y0, y1] = rect(i);
      for (let ty = y0; ty <= y1; ty++) for (let tx = x0; tx <= x1; tx++) counts[ty * this.tilesX + tx + 1]++;
    }
    for (let t = 0; t < tiles; t++) counts[t + 1] += counts[t];
    this.tileStart = counts;
    const fill = counts.slice(0, tiles);
    this.tileList = new Int32Array(counts[tiles]);
    for (let k = 0; k < visible; k++) {
      const i = order[k];
      const [x0, x1, y0, y1] = rect(i);
      for (let ty = y0; ty <= y1; ty++) for (let tx = x0; tx <= x1; tx++) this.tileList[fill[ty * this.tilesX + tx]++] = i;
    }
  }

  private composite(cam: ProjectionCamera): RasterFrame {
    const { width, height } = cam;
    const n = width * height;
    const rgb = new Float32Array(3 * n),
      depthOut = new Float32Array(n),
      opacityOut = new Float32Array(n);
    if (this.finalT.length < n) {
      this.finalT = new Float32Array(n);
      this.walked = new Int32Array(n);
    }
    const { mean2d, conic, opacity, color, depth } = this.projected;
    const list = this.tileList,
      start = this.tileStart;
    const [bgR, bgG, bgB] = this.background;
    let composited = 0;
    for (let ty = 0; ty < this.tilesY; ty++) {
      for (let tx = 0; tx < this.tilesX; tx++) {
        const tile = ty * this.tilesX + tx;
        const first = start[tile],
          last = start[tile + 1];
        const yEnd = Math.min(height, (ty + 1) * TILE_SIZE),
          xEnd = Math.min(width, (tx + 1) * TILE_SIZE);
        for (let y = ty * TILE_SIZE; y < yEnd; y++) {
          const pyc = y + 0.5;
          for (let x = tx * TILE_SIZE; x < xEnd; x++) {
            const pxc = x + 0.5;
            let T = 1,
              r = 0,
              g = 0,
              b = 0,
              dsum = 0,
              k = first;
            for (; k < last; k++) {
              const i = list[k];
              const dx = mean2d[2 * i] - pxc,
                dy = mean2d[2 * i + 1] - pyc;
              const power = -0.5 * (conic[3 * i] * dx * dx + conic[3 * i + 2] * dy * dy) - conic[3 * i + 1] * dx * dy;
              if (power > 0) continue;
              let alpha = opacity[i] * Math.exp(power);
              if (alpha < MIN_ALPHA) continue;
              if (alpha > MAX_ALPHA) alpha = MAX_ALPHA;
              const nextT = T * (1 - alpha);
              if (nextT < MIN_TRANSMITTANCE) break;
              const w = alpha * T;
              r += w * color[3 * i];
              g += w * color[3 * i + 1];
              b += w * color[3 * i + 2];
              dsum += w * depth[i];
              T = nextT;
              composited++;
            }
            const p = y * width + x;
            this.finalT[p] = T;
            this.walked[p] = k - first;
            rgb[3 * p] = r + T * bgR;
            rgb[3 * p + 1] = g + T * bgG;
            rgb[3 * p + 2] = b + T * bgB;
            depthOut[p] = dsum;
            opacityOut[p] = 1 - T;
          }
        }
      }
    }
    this.composited = composited;
    return { width, height, rgb, depth: depthOut, opacity: opacityOut };
  }

  /**
   * Back-propagates d loss / d rgb (per pixel, the layout of the frame) of the last forward pass into `grads`
   * (the cloud's parameter layout, accumulated). `viewGradNorm` gains the densification statistic.
   */
  backward(dRgb: Float32Array, grads: Float32Array, viewGradNorm?: Float32Array): void {
    const cam = this.cam,
      cloud = this.cloud;
    if (!cam || !cloud) throw new Error('gaussian rasterizer: backward before forward');
    const { width, height } = cam;
    const d = this.dProjected;
    d.reset(cloud.count);
    const { mean2d, conic, opacity, color } = this.projected;
    const list = this.tileList,
      start = this.tileStart;
    const [bgR, bgG, bgB] = this.background;
    for (let ty = 0; ty < this.tilesY; ty++) {
      for (let tx = 0; tx < this.tilesX; tx++) {
        const tile = ty * this.tilesX + tx;
        const first = start[tile];
        const yEnd = Math.min(height, (ty + 1) * TILE_SIZE),
          xEnd = Math.min(width, (tx + 1) * TILE_SIZE);
        for (let y = ty * TILE_SIZE; y < yEnd; y++) {
          const pyc = y + 0.5;
          for (let x = tx * TILE_SIZE; x < xEnd; x++) {
            const pxc = x + 0.5;
            const p = y * width + x;
            const gR = dRgb[3 * p],
              gG = dRgb[3 * p + 1],
              gB = dRgb[3 * p + 2];
            if (gR === 0 && gG === 0 && gB === 0) continue;
            const finalT = this.finalT[p];
            const bgDot = bgR * gR + bgG * gG + bgB * gB;
            let T = finalT,
              accR = 0,
              accG = 0,
              accB = 0,
              lastAlpha = 0,
              lastR = 0,
              lastG = 0,
              lastB = 0;
            for (let k = first + this.walked[p] - 1; k >= first; k--) {
              const i = list[k];
              const dx = mean2d[2 * i] - pxc,
                dy = mean2d[2 * i + 1] - pyc;
              const ca = conic[3 * i],
                cb = conic[3 * i + 1],
                cc = conic[3 * i + 2];
              const power = -0.5 * (ca * dx * dx + cc * dy * dy) - cb * dx * dy;
              if (power > 0) continue;
              const G = Math.exp(power);
              const raw = opacity[i] * G;
              if (raw < MIN_ALPHA) continue;
              const capped = raw > MAX_ALPHA;
              const alpha = capped ? MAX_ALPHA : raw;
              T /= 1 - alpha;
              const w = alpha * T;
              const cR = color[3 * i],
                cG = color[3 * i + 1],
                cB = color[3 * i + 2];
              d.color[3 * i] += w * gR;
              d.color[3 * i + 1] += w * gG;
              d.color[3 * i + 2] += w * gB;
              accR = lastAlpha * lastR + (1 - lastAlpha) * accR;
              accG = lastAlpha * lastG + (1 - lastAlpha) * accG;
              accB = lastAlpha * lastB + (1 - lastAlpha) * accB;
              lastR = cR;
              lastG = cG;
              lastB = cB;
              lastAlpha = alpha;
              if (capped) continue;
              const dAlpha = T * ((cR - accR) * gR + (cG - accG) * gG + (cB - accB) * gB) - (finalT / (1 - alpha)) * bgDot;
              d.opacity[i] += G * dAlpha;
              const dG = opacity[i] * dAlpha * G;
              d.mean2d[2 * i] += dG * (-ca * dx - cb * dy);
              d.mean2d[2 * i + 1] += dG * (-cc * dy - cb * dx);
              d.conic[3 * i] += -0.5 * dG * dx * dx;
              d.conic[3 * i + 1] += -dG * dx * dy;
              d.conic[3 * i + 2] += -0.5 * dG * dy * dy;
            }
          }
        }
      }
    }
    projectGaussiansBackward(cloud, cam, this.projected, d, grads, viewGradNorm);
  }
}
