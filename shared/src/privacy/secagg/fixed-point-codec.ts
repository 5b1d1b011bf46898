// Fixed-point encoding of real values into Z_{2^32}, the group the masks live in. A value is clipped to
// [-R, R] and rounded to the nearest multiple of 1/S, with the scale S = (2^31 - 1 - N) / (N R) chosen from
// the clipping range R and the most parties N a sum may hold, so that any sum of N encoded values stays in
// (-2^31, 2^31) and reads back as a signed 32-bit integer without wrapping. The error bound of a decoded
// sum over n parties is n / (2S) per coordinate (each value off by at most half a step), nothing more as
// long as no value was clipped. Example: R = 1, N = 1,000 gives S ≈ 2.15e6, a step of 4.7e-7 and a sum error
// of at most 2.3e-4 over 1,000 parties, about 2^-22 of the largest possible sum. (Results handed out as
// float32 are rounded once more, by at most 2^-24 of their magnitude.) Flower's defaults (range
// 8, 2^22 levels, modulus 2^32) are the same idea with a fixed level count.

export interface FixedPointOptions {
  /** R: values are clipped to [-R, R]. */
  readonly clipRange: number;
  /** N: the most parties whose values are summed before decoding. */
  readonly maxParties: number;
}

const HALF_MODULUS = 2 ** 31;

export class FixedPointCodec {
  readonly clipRange: number;
  readonly maxParties: number;
  /** S: encoded units per unit of value. */
  readonly scale: number;

  constructor(options: FixedPointOptions) {
    const { clipRange, maxParties } = options;
    if (!(clipRange > 0 && Number.isFinite(clipRange))) throw new RangeError(`clipRange must be > 0 and finite, got ${clipRange}`);
    if (!(Number.isInteger(maxParties) && maxParties >= 1 && maxParties < 2 ** 20)) {
      throw new RangeError(`maxParties must be an integer in [1, 2^20), got ${maxParties}`);
    }
    this.clipRange = clipRange;
    this.maxParties = maxParties;
    this.scale = (HALF_MODULUS - 1 - maxParties) / (maxParties * clipRange);
  }

  /** The largest error of a decoded sum over `parties` encoded values, per coordinate (no clipping). */
  sumErrorBound(parties: number): number {
    return parties / (2 * this.scale);
  }

  /** The word for `value` (clipped to the range, rounded to the nearest step). */
  encode(value: number): number {
    const clipped = value > this.clipRange ? this.clipRange : Math.max(value, -this.clipRange);
    return Math.round(clipped * this.scale) >>> 0;
  }

  /** Encodes `values` into `out` from `offset`; returns how many were clipped. NaN is refused. */
  encodeInto(out: Uint32Array, offset: number, values: ArrayLike<number>): number {
    const r = this.clipRange;
    const s = this.scale;
    let clipped = 0;
    for (let i = 0; i < values.length; i++) {
      let v = values[i];
      if (Number.isNaN(v)) throw new RangeError(`cannot encode NaN (value ${i})`);
      if (v > r) {
        v = r;
        clipped++;
      } else if (v < -r) {
        v = -r;
        clipped++;
      }
      out[offset + i] = Math.round(v * s);
    }
    return clipped;
  }

  /** The value of a sum word (a signed 32-bit integer over the scale). */
  decode(word: number): number {
    return (word | 0) / this.scale;
  }
}
