// exp and log1p for the ray-march kernel, accurate to about 1e-8 relative (far below float32 storage) and
// several times faster than Math.exp / Math.log1p, which V8 runs as calls into C++: the density activation
// alone makes three such calls for every occupied sample, and they were most of the forward pass.

/** 2^k for integer k in [-1022, 1023], looked up instead of computed. */
const POW2 = new Float64Array(2046);
for (let k = -1022; k <= 1023; k++) POW2[k + 1022] = 2 ** k;

const LOG2E = Math.LOG2E;
const LN2_HI = 0.6931471803691238;
const LN2_LO = 1.9082149292705877e-10;

/** e^x: Cody-Waite range reduction to |r| <= ln2/2, then a degree-8 Taylor polynomial. */
export function fastExp(x: number): number {
  if (x < -700) return 0;
  if (x > 700) return Infinity;
  const k = Math.round(x * LOG2E);
  const r = x - k * LN2_HI - k * LN2_LO;
  const p = 1 + r * (1 + r * (0.5 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120 + r * (1 / 720 + r * (1 / 5040 + r * (1 / 40320))))))));
  return p * POW2[k + 1022];
}

/** log(1 + e) for e in [0, 1]: 2 atanh(e / (2 + e)) as an odd series in s = e / (2 + e) <= 1/3. */
export function fastLog1pUnit(e: number): number {
  const s = e / (2 + e);
  const s2 = s * s;
  return 2 * s * (1 + s2 * (1 / 3 + s2 * (1 / 5 + s2 * (1 / 7 + s2 * (1 / 9 + s2 * (1 / 11 + s2 * (1 / 13 + s2 / 15)))))));
}
