// A frame's colour as 8-bit rgb, the rounding both 8-bit colour codecs (rgb8, rgb8-deflate) carry: the
// runtime's encoder quantises a frame's floats with it, and a renderer that writes the bytes itself (the
// splat render workers, beside the floats) uses the same rule, so the bytes are the same either way.

/**
 * A colour value in [0, 1] as a byte: Math.round(v * 255), clamped (NaN: 0). (v * 255 + 0.5) | 0 is that
 * rounding for a float32 v in (0, 1): v * 255 and the + 0.5 are exact in a double, and truncating a positive
 * number floors it; cheaper than Math.round.
 */
export function unitToByte(v: number): number {
  return v >= 1 ? 255 : v > 0 ? (v * 255 + 0.5) | 0 : 0;
}
