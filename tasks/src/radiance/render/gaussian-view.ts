// Frames of a Gaussian cloud for viewing sessions (browser-safe: no worker or Node module here): the edge's
// worker threads render bands of tile rows with it, a device renders whole frames with it. Depth is what
// co-rendering warps with: the median depth (the camera depth of the Gaussian at which a pixel's
// transmittance crosses 0.5; 0 where it never does, so faint pixels are left to the device's fill), turned
// from camera z into distance along the pixel's unit ray, the voxel grid's depth convention.

import { ConfigError, unitToByte } from '@strata/shared';
import type { Camera } from '../data/camera.js';
import type { Vec3 } from '../model/grid-geometry.js';
import type { GaussianCloud } from '../model/gaussian-cloud.js';
import { GaussianRasterizer, TILE_SIZE, firstBandRow, nextBandRow } from '../kernels/gaussian-rasterizer.js';
import { projectGaussians, projectionCamera, viewIndependentTerms } from '../kernels/gaussian-projection.js';
import type { RenderedView } from './grid-renderer.js';
import { RayLengthTable } from './ray-length-table.js';

/** How a frame is composited: the reference's rules (FULL_SPLAT) or the fast path's (DEFAULT_FAST_SPLAT). */
export interface SplatRenderSettings {
  /** A pixel stops compositing once its transmittance falls under this. */
  readonly stopTransmittance: number;
  /** Alphas under this are skipped (the reference: 1/255). */
  readonly minAlpha: number;
  /** exp from a table (relative error under 1e-5) instead of Math.exp. */
  readonly tableExp: boolean;
  /**
   * Composite with the WebAssembly SIMD kernel (f32 lanes, polynomial exp; tableExp then does not apply) where
   * the runtime has it, the JS loop where it does not.
   */
  readonly simd: boolean;
}

/** The reference's compositing, what training renders: the same image as GaussianRasterizer.forward. */
export const FULL_SPLAT: SplatRenderSettings = { stopTransmittance: 1e-4, minAlpha: 1 / 255, tableExp: false, simd: false };

/**
 * The fast path: stop at transmittance 0.02 (as the voxel grid's fast march), skip alphas under 1/100 and take
 * exp from a table; 42.3 dB against FULL_SPLAT on lego 400x400 at 0.6-0.7x its CPU time (decisions.md).
 * Composited by the WebAssembly SIMD kernel where the runtime has it (the table then does not apply).
 */
export const DEFAULT_FAST_SPLAT: SplatRenderSettings = { stopTransmittance: 0.02, minAlpha: 1 / 100, tableExp: true, simd: true };

/**
 * Every `tileRowStride`-th row of 8x8 tiles, or block of `tileRowBlock` rows (default 1), from `tileRowOffset`
 * (stride 1, offset 0: the whole frame).
 */
export interface SplatBand extends SplatRenderSettings {
  readonly tileRowOffset: number;
  readonly tileRowStride: number;
  readonly tileRowBlock?: number;
  /** The rasterizer's projection already holds this camera's (RasterBand.projected). */
  readonly projected?: boolean;
}

/** Checks `settings` (a ConfigError naming the field). */
export function validateSplatSettings(settings: SplatRenderSettings): void {
  if (!(settings.stopTransmittance >= FULL_SPLAT.stopTransmittance && settings.stopTransmittance < 1))
    throw new ConfigError(`splat rendering: stopTransmittance ${settings.stopTransmittance} must be in [1e-4, 1)`);
  if (!(settings.minAlpha >= FULL_SPLAT.minAlpha && settings.minAlpha < 0.99))
    throw new ConfigError(`splat rendering: minAlpha ${settings.minAlpha} must be in [1/255, 0.99)`);
}

/** The ray lengths of the last intrinsics rendered on this thread (a frame's size rarely changes in a session). */
const rayLengths = new RayLengthTable();

/**
 * Renders `band` of `camera`'s frame into `frame` (full-frame buffers): colour, median ray depth, opacity, and
 * the colour as 8-bit rgb where `frame` has `rgb8` (unitToByte: the bytes the 8-bit view codecs send).
 */
export function renderSplatBand(
  rasterizer: GaussianRasterizer,
  cloud: GaussianCloud,
  camera: Camera,
  background: Vec3,
  band: SplatBand,
  frame: Pick<RenderedView, 'rgb' | 'depth' | 'opacity' | 'rgb8'>,
): void {
  rasterizer.renderBand(cloud, camera, background, { ...band, ...frame, depthMode: 'median' });
  const { width, height } = camera;
  const lengths = rayLengths.for(camera);
  const { depth, rgb, rgb8 } = frame;
  const stride = band.tileRowStride,
    block = band.tileRowBlock ?? 1;
  for (let ty = firstBandRow(0, band.tileRowOffset, stride, block); ty * TILE_SIZE < height; ty = nextBandRow(ty, stride, block)) {
    const first = ty * TILE_SIZE * width,
      end = Math.min(height, (ty + 1) * TILE_SIZE) * width;
    for (let p = first; p < end; p++) depth[p] *= lengths[p];
    if (rgb8) for (let i = 3 * first; i < 3 * end; i++) rgb8[i] = unitToByte(rgb[i]);
  }
}

/**
 * One-thread frames of a cloud (a device's local render and co-rendering's fill; fast unless told). The cloud
 * must not change after the first frame (its view-independent projection terms are kept).
 */
export class SplatViewRenderer {
  private readonly rasterizer = new GaussianRasterizer();
  /** The cloud is frozen: its view-independent projection terms, computed on the first frame. */
  private terms: Float64Array | undefined;

  constructor(
    readonly cloud: GaussianCloud,
    readonly background: Vec3,
    readonly settings: SplatRenderSettings = DEFAULT_FAST_SPLAT,
  ) {
    validateSplatSettings(settings);
  }

  render(camera: Camera): RenderedView {
    const n = camera.width * camera.height;
    const frame = { rgb: new Float32Array(3 * n), depth: new Float32Array(n), opacity: new Float32Array(n) };
    this.terms ??= viewIndependentTerms(this.cloud);
    projectGaussians(this.cloud, projectionCamera(camera), this.rasterizer.projected, 0, this.cloud.count, this.terms);
    const band = { ...this.settings, tileRowOffset: 0, tileRowStride: 1, projected: true };
    renderSplatBand(this.rasterizer, this.cloud, camera, this.background, band, frame);
    return { width: camera.width, height: camera.height, ...frame };
  }
}
