// A co-rendering frame's depth as 16-bit steps over the scene's [near, far] range (0: nothing hit), the part
// of its codec that a browser and Node share; the runtime deflates the steps (view-frame-codec.ts), a browser
// page inflates them with its own DecompressionStream.

import { ConfigError, DataError } from '../errors.js';

/** Depth (0: empty, else a distance in [near, far]) as little-endian 16-bit steps. */
export function depthToSteps(depth: Float32Array, near: number, far: number): Uint8Array {
  if (!(far > near)) throw new ConfigError(`depth frame: far ${far} must exceed near ${near}`);
  const bytes = new Uint8Array(2 * depth.length);
  const view = new DataView(bytes.buffer);
  const scale = 65534 / (far - near);
  for (let i = 0; i < depth.length; i++) {
    const d = depth[i];
    view.setUint16(2 * i, d > 0 ? 1 + Math.round((Math.min(far, Math.max(near, d)) - near) * scale) : 0, true);
  }
  return bytes;
}

/** The inverse of depthToSteps; a DataError when `steps` does not hold `pixels` depths. */
export function stepsToDepth(steps: Uint8Array, pixels: number, near: number, far: number): Float32Array {
  if (steps.byteLength !== 2 * pixels) throw new DataError(`view frame: the depth holds ${steps.byteLength / 2} values, not ${pixels}`);
  const view = new DataView(steps.buffer, steps.byteOffset, steps.byteLength);
  const depth = new Float32Array(pixels);
  const step = (far - near) / 65534;
  for (let i = 0; i < pixels; i++) {
    const v = view.getUint16(2 * i, true);
    depth[i] = v === 0 ? 0 : near + (v - 1) * step;
  }
  return depth;
}
