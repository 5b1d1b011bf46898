// Rényi DP of the Poisson-subsampled Gaussian mechanism (Mironov, Talwar and Zhang, "Rényi Differential
// Privacy of the Sampled Gaussian Mechanism", 2019): at order α the mechanism with noise multiplier σ and
// sampling probability q is (α, log(A_α) / (α - 1))-RDP, where A_α is a binomial expansion for integer α
// (Sec. 3.2) and two infinite series split at z0 for fractional α (Sec. 3.3). Computed as Google's
// dp-accounting computes them, so the figures agree with it.

import { logAdd, logBinomial, logErfc } from './log-space.js';

/** dp-accounting's default orders: 1.1 to 10.9 by tenths, 11 to 63, and 128, 256, 512, 1024. */
export const DEFAULT_RDP_ORDERS: readonly number[] = [
  ...Array.from({ length: 99 }, (_, i) => 1 + (i + 1) / 10),
  ...Array.from({ length: 53 }, (_, i) => 11 + i),
  128,
  256,
  512,
  1024,
];

/**
 * The fractional-order series stops after this many terms. When it has not converged by then (its terms
 * decay only polynomially at small q and α near 1) the order is dropped (RDP +Infinity), as dp-accounting
 * drops it: keeping it would need far more terms for a bound no better than the neighbouring orders'.
 */
const MAX_FRACTIONAL_TERMS = 1000;
/** A term this many nats below the running total no longer changes it in double precision. */
const NEGLIGIBLE_LOG_TERM = 30;

/** log(A_α) for integer α: Σ_i C(α, i) q^i (1-q)^(α-i) exp((i² - i) / (2σ²)). */
function logAInteger(q: number, sigma: number, alpha: number): number {
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  let logA = -Infinity;
  for (let i = 0; i <= alpha; i++) {
    const term = logBinomial(alpha, i) + i * logQ + (alpha - i) * log1mQ + (i * i - i) / (2 * sigma * sigma);
    logA = logAdd(logA, term);
  }
  return logA;
}

/**
 * log(A_α) for fractional α: A_α = A0 + A1, the integrals over (-∞, z0] and [z0, ∞) expanded in series
 * with z0 = σ² log(1/q - 1) + 1/2. Returns +Infinity when the series has not converged in
 * MAX_FRACTIONAL_TERMS terms.
 */
function logAFractional(q: number, sigma: number, alpha: number): number {
  const z0 = sigma * sigma * Math.log(1 / q - 1) + 0.5;
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  const twoSigma2 = 2 * sigma * sigma;
  const erfcScale = Math.SQRT2 * sigma;
  let logA0 = -Infinity;
  let logA1 = -Infinity;
  let lastS0 = -Infinity;
  let lastS1 = -Infinity;
  for (let i = 0; i < MAX_FRACTIONAL_TERMS; i++) {
    const logCoefficient = logBinomial(alpha, i);
    const j = alpha - i;
    const s0 = logCoefficient + i * logQ + j * log1mQ + (i * i - i) / twoSigma2 - Math.LN2 + logErfc((i - z0) / erfcScale);
    const s1 = logCoefficient + j * logQ + i * log1mQ + (j * j - j) / twoSigma2 - Math.LN2 + logErfc((z0 - j) / erfcScale);
    logA0 = logAdd(logA0, s0);
    logA1 = logAdd(logA1, s1);
    const total = logAdd(logA0, logA1);
    if (s0 < lastS0 && s1 < lastS1 && Math.max(s0, s1) < total - NEGLIGIBLE_LOG_TERM) return total;
    lastS0 = s0;
    lastS1 = s1;
  }
  return Infinity;
}

/** RDP at `order` of one step of the Gaussian mechanism with noise multiplier `sigma`, sampled with probability `q`. */
export function subsampledGaussianRdp(q: number, sigma: number, order: number): number {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`sampling probability must be in [0, 1], got ${q}`);
  if (!(sigma >= 0)) throw new RangeError(`noise multiplier must be >= 0, got ${sigma}`);
  if (!(order > 1)) throw new RangeError(`RDP order must be > 1, got ${order}`);
  if (q === 0) return 0;
  if (sigma === 0 || order === Infinity) return Infinity;
  if (q === 1) return order / (2 * sigma * sigma);
  const logA = Number.isInteger(order) ? logAInteger(q, sigma, order) : logAFractional(q, sigma, order);
  return logA / (order - 1);
}
