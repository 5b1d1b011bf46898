// Image quality metrics used by the NeRF literature: PSNR over all channels, and SSIM with an 11x11
// Gaussian window (sigma 1.5) per channel, averaged (as skimage's structural_similarity with
// gaussian_weights=True and the NeRF evaluation code).

import { ConfigError } from '@strata/shared';

function checkSizes(a: Float32Array, b: Float32Array, what: string): void {
  if (a.length !== b.length || a.length === 0) throw new ConfigError(`${what}: images have ${a.length} and ${b.length} values`);
}

export function meanSquaredError(a: Float32Array, b: Float32Array): number {
  checkSizes(a, b, 'mse');
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    s += d * d;
  }
  return s / a.length;
}

/** PSNR in dB for images in [0, 1]. */
export function psnrFromMse(mse: number): number {
  return -10 * Math.log10(Math.max(mse, 1e-12));
}

export function psnr(a: Float32Array, b: Float32Array): number {
  return psnrFromMse(meanSquaredError(a, b));
}

/** Mean SSIM of two rgb images (row by row, 3 floats per pixel, values in [0, 1]). */
export function ssim(a: Float32Array, b: Float32Array, width: number, height: number): number {
  checkSizes(a, b, 'ssim');
  if (a.length !== width * height * 3) throw new ConfigError(`ssim: ${a.length} values is not ${width}x${height}x3`);
  const radius = 5,
    sigma = 1.5;
  const kernel: number[] = [];
  let ksum = 0;
  for (let i = -radius; i <= radius; i++) {
    const w = Math.exp(-(i * i) / (2 * sigma * sigma));
    kernel.push(w);
    ksum += w;
  }
  for (let i = 0; i < kernel.length; i++) kernel[i] /= ksum;
  const c1 = 0.01 ** 2,
    c2 = 0.03 ** 2;
  // Valid region only (no padding), as the reference implementations crop the border.
  const ow = width - 2 * radius,
    oh = height - 2 * radius;
  if (ow <= 0 || oh <= 0) throw new ConfigError(`ssim: image ${width}x${height} is smaller than the 11x11 window`);
  const blur = (src: Float64Array): Float64Array => {
    const tmp = new Float64Array(ow * height);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < ow; x++) {
        let s = 0;
        for (let k = 0; k < kernel.length; k++) s += kernel[k] * src[y * width + x + k];
        tmp[y * ow + x] = s;
      }
    }
    const out = new Float64Array(ow * oh);
    for (let y = 0; y < oh; y++) {
      for (let x = 0; x < ow; x++) {
        let s = 0;
        for (let k = 0; k < kernel.length; k++) s += kernel[k] * tmp[(y + k) * ow + x];
        out[y * ow + x] = s;
      }
    }
    return out;
  };
  let total = 0;
  const n = width * height;
  for (let c = 0; c < 3; c++) {
    const x = new Float64Array(n),
      y = new Float64Array(n),
      xx = new Float64Array(n),
      yy = new Float64Array(n),
      xy = new Float64Array(n);
    for (let p = 0; p < n; p++) {
      x[p] = a[3 * p + c];
      y[p] = b[3 * p + c];
      xx[p] = x[p] * x[p];
      yy[p] = y[p] * y[p];
      xy[p] = x[p] * y[p];
    }
    const mx = blur(x),
      my = blur(y),
      mxx = blur(xx),
      myy = blur(yy),
      mxy = blur(xy);
    let s = 0;
    for (let p = 0; p < ow * oh; p++) {
      const vx = mxx[p] - mx[p] * mx[p],
        vy = myy[p] - my[p] * my[p],
        cxy = mxy[p] - mx[p] * my[p];
      s += ((2 * mx[p] * my[p] + c1) * (2 * cxy + c2)) / ((mx[p] * mx[p] + my[p] * my[p] + c1) * (vx + vy + c2));
    }
    total += s / (ow * oh);
  }
  return total / 3;
}
