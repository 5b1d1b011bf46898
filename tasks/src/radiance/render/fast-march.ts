// The fast march a streamed or interactive frame is rendered with, and the upsampling of a draft frame:
// shared by the edge's parallel renderer and a device's own (browser-safe: no worker or Node module here).

import { validateMarchSettings, type MarchSettings } from '../model/march-settings.js';
import type { RenderedView } from './grid-renderer.js';

export interface FastMarchOptions {
  /** Multiplies the sample step (default 3: a third of the samples per ray). */
  readonly stepScale: number;
  /** Stop a ray once its transmittance falls below this (default 0.02). */
  readonly terminationT: number;
}

export const DEFAULT_FAST_MARCH: FastMarchOptions = { stepScale: 3, terminationT: 0.02 };

/** The fast march: the same density per unit length, sampled `stepScale` times more sparsely. */
export function fastMarchSettings(settings: MarchSettings, fast: FastMarchOptions = DEFAULT_FAST_MARCH): MarchSettings {
  const result = {
    ...settings,
    stepRatio: Math.min(4, settings.stepRatio * fast.stepScale),
    terminationT: Math.max(settings.terminationT, fast.terminationT),
  };
  validateMarchSettings(result);
  return result;
}

/**
 * `view` at `width` x `height`: colour bilinearly, depth and opacity from the nearest pixel (interpolating depth
 * across an object's edge would put points in mid-air, which warping then shows).
 */
export function upsampleView(view: RenderedView, width: number, height: number): RenderedView {
  const n = width * height;
  const rgb = new Float32Array(3 * n),
    depth = new Float32Array(n),
    opacity = new Float32Array(n);
  const sx = view.width / width,
    sy = view.height / height;
  for (let y = 0; y < height; y++) {
    const fy = Math.min(view.height - 1, Math.max(0, (y + 0.5) * sy - 0.5));
    const y0 = Math.floor(fy),
      y1 = Math.min(view.height - 1, y0 + 1),
      wy = fy - y0;
    const ny = Math.min(view.height - 1, Math.floor((y + 0.5) * sy));
    for (let x = 0; x < width; x++) {
      const fx = Math.min(view.width - 1, Math.max(0, (x + 0.5) * sx - 0.5));
      const x0 = Math.floor(fx),
        x1 = Math.min(view.width - 1, x0 + 1),
        wx = fx - x0;
      const q = y * width + x;
      for (let c = 0; c < 3; c++) {
        const a = view.rgb[3 * (y0 * view.width + x0) + c],
          b = view.rgb[3 * (y0 * view.width + x1) + c],
          d = view.rgb[3 * (y1 * view.width + x0) + c],
          e = view.rgb[3 * (y1 * view.width + x1) + c];
        rgb[3 * q + c] = (a * (1 - wx) + b * wx) * (1 - wy) + (d * (1 - wx) + e * wx) * wy;
      }
      const nearest = ny * view.width + Math.min(view.width - 1, Math.floor((x + 0.5) * sx));
      depth[q] = view.depth[nearest];
      opacity[q] = view.opacity[nearest];
    }
  }
  return { width, height, rgb, depth, opacity };
}
