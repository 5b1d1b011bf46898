// Special functions in log space for the RDP accountant: the sums it takes have terms from e^-700 to e^700,
// so every term is kept as its logarithm and added with logAdd.

const LANCZOS_G = 7;
const LANCZOS_COEFFICIENTS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
  -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];
const LOG_SQRT_TWO_PI = 0.5 * Math.log(2 * Math.PI);
const LOG_SQRT_PI = 0.5 * Math.log(Math.PI);

/** log(e^a + e^b), exact when either is -Infinity (adding zero). */
export function logAdd(a: number, b: number): number {
  const lo = Math.min(a, b);
  const hi = Math.max(a, b);
  if (lo === -Infinity) return hi;
  return Math.log1p(Math.exp(lo - hi)) + hi;
}

/**
 * log|Γ(x)| for real x that is not zero or a negative integer (Lanczos, g = 7, about 15 significant
 * digits; the reflection formula below 0.5). Binomial coefficients of fractional order need it at
 * negative arguments, where Γ changes sign: only its magnitude is wanted there.
 */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const z = x - 1;
  let sum = LANCZOS_COEFFICIENTS[0];
  for (let i = 1; i < LANCZOS_COEFFICIENTS.length; i++) sum += LANCZOS_COEFFICIENTS[i] / (z + i);
  const t = z + LANCZOS_G + 0.5;
  return LOG_SQRT_TWO_PI + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** log|C(n, k)| for real n and integer-or-real k, through log|Γ|. */
export function logBinomial(n: number, k: number): number {
  return logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1);
}

/** erf(x) by its Maclaurin series; used for |x| < 2, where it converges to full double precision. */
function erfSeries(x: number): number {
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= -x2 / n;
    const add = term / (2 * n + 1);
    sum += add;
    if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

/**
 * log(e^{x²} erfc(x) √π) for x >= 2 by the continued fraction 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...))))
 * (modified Lentz), which converges fast there and never underflows, unlike erfc itself.
 */
function logScaledErfcTail(x: number): number {
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let n = 1; n < 5000; n++) {
    const a = n / 2;
    d = x + a * d;
    d = d === 0 ? tiny : d;
    c = x + a / c;
    c = c === 0 ? tiny : c;
    d = 1 / d;
    const step = c * d;
    f *= step;
    if (Math.abs(step - 1) < 1e-16) break;
  }
  return -Math.log(f);
}

/** log(erfc(x)) for every real x, accurate far into the tail (x in the thousands). */
export function logErfc(x: number): number {
  if (x >= 2) return -x * x - LOG_SQRT_PI + logScaledErfcTail(x);
  if (x > -2) return Math.log(1 - erfSeries(x));
  // erfc(x) = 2 - erfc(-x); erfc(-x) is below 0.005 here, so no precision is lost.
  return Math.log(2 - Math.exp(logErfc(-x)));
}
