// Image preparation for training: an area (box) filter on premultiplied alpha, so that the colour of
// transparent pixels cannot bleed into edges, then compositing onto the background colour.

import type { Vec3 } from '../model/grid-geometry.js';

/** Per output coordinate, the source coordinates it covers and their normalised coverage weights. */
function boxWeights(src: number, dst: number): { index: number[]; weight: number[] }[] {
  const scale = src / dst;
  const out: { index: number[]; weight: number[] }[] = [];
  for (let o = 0; o < dst; o++) {
    const lo = o * scale,
      hi = (o + 1) * scale;
    const index: number[] = [];
    const weight: number[] = [];
    for (let s = Math.floor(lo); s < Math.min(src, Math.ceil(hi)); s++) {
      const cover = Math.min(hi, s + 1) - Math.max(lo, s);
      if (cover > 1e-9) {
        index.push(s);
        weight.push(cover / scale);
      }
    }
    out.push({ index, weight });
  }
  return out;
}

/**
 * Resizes 8-bit RGBA (straight alpha) to `outWidth` x `outHeight` with a box filter over premultiplied
 * colour and composites the result onto `background`; returns rgb floats in [0, 1], row by row.
 */
export function resampleRgbaOnto(
  rgba: Uint8Array,
  width: number,
  height: number,
  outWidth: number,
  outHeight: number,
  background: Vec3,
): Float32Array {
  const premult = new Float32Array(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    const a = rgba[4 * p + 3] / 255;
    premult[4 * p] = (rgba[4 * p] / 255) * a;
    premult[4 * p + 1] = (rgba[4 * p + 1] / 255) * a;
    premult[4 * p + 2] = (rgba[4 * p + 2] / 255) * a;
    premult[4 * p + 3] = a;
  }
  const wx = boxWeights(width, outWidth);
  const wy = boxWeights(height, outHeight);
  // Horizontal pass, then vertical.
  const rows = new Float32Array(height * outWidth * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < outWidth; x++) {
      const { index, weight } = wx[x];
      const o = 4 * (y * outWidth + x);
      for (let n = 0; n < index.length; n++) {
        const s = 4 * (y * width + index[n]);
        for (let c = 0; c < 4; c++) rows[o + c] += weight[n] * premult[s + c];
      }
    }
  }
  const rgb = new Float32Array(outWidth * outHeight * 3);
  for (let y = 0; y < outHeight; y++) {
    const { index, weight } = wy[y];
    for (let x = 0; x < outWidth; x++) {
      let r = 0,
        g = 0,
        b = 0,
        a = 0;
      for (let n = 0; n < index.length; n++) {
        const s = 4 * (index[n] * outWidth + x);
        r += weight[n] * rows[s];
        g += weight[n] * rows[s + 1];
        b += weight[n] * rows[s + 2];
        a += weight[n] * rows[s + 3];
      }
      const o = 3 * (y * outWidth + x);
      rgb[o] = Math.min(1, r + (1 - a) * background[0]);
      rgb[o + 1] = Math.min(1, g + (1 - a) * background[1]);
      rgb[o + 2] = Math.min(1, b + (1 - a) * background[2]);
    }
  }
  return rgb;
}
