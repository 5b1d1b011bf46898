// A Rényi-DP accountant for federated rounds: each round is one Poisson-subsampled Gaussian mechanism
// (devices sampled with probability q, the clipped sum noised with multiplier σ), RDP adds up over rounds
// order by order, and the total converts to (ε, δ) at the best order.

import { deltaFromRdp, epsilonFromRdp, type ConvertedGuarantee } from './rdp-conversion.js';
import { DEFAULT_RDP_ORDERS, subsampledGaussianRdp } from './subsampled-gaussian-rdp.js';

/** The RDP curve of one step, memoised: an accountant composes the same (q, σ) round after round. */
function stepCurve(orders: readonly number[], q: number, sigma: number, cache: Map<string, Float64Array>): Float64Array {
  const key = `${q}/${sigma}`;
  let curve = cache.get(key);
  if (!curve) {
    curve = Float64Array.from(orders, (order) => subsampledGaussianRdp(q, sigma, order));
    cache.set(key, curve);
  }
  return curve;
}

export class RdpAccountant {
  readonly orders: readonly number[];
  private readonly total: Float64Array;
  private readonly curves = new Map<string, Float64Array>();

  constructor(orders: readonly number[] = DEFAULT_RDP_ORDERS) {
    if (orders.length === 0) throw new RangeError('an RDP accountant needs at least one order');
    for (const order of orders) if (!(order > 1)) throw new RangeError(`RDP order must be > 1, got ${order}`);
    this.orders = [...orders];
    this.total = new Float64Array(orders.length);
  }

  /** Adds `steps` rounds of the Gaussian mechanism with noise multiplier `sigma`, sampled with probability `q`. */
  composeSubsampledGaussian(q: number, sigma: number, steps = 1): this {
    if (!(Number.isInteger(steps) && steps >= 0)) throw new RangeError(`steps must be a non-negative integer, got ${steps}`);
    const curve = stepCurve(this.orders, q, sigma, this.curves);
    for (let k = 0; k < curve.length; k++) this.total[k] += steps * curve[k];
    return this;
  }

  /** The RDP of everything composed so far, one value per order. */
  rdp(): Float64Array {
    return this.total.slice();
  }

  /** ε spent so far at `delta`, with the order that gives it. */
  epsilonWithOrder(delta: number): ConvertedGuarantee {
    return epsilonFromRdp(this.orders, [...this.total], delta);
  }

  epsilon(delta: number): number {
    return this.epsilonWithOrder(delta).value;
  }

  /** δ reached at `epsilon`, with the order that gives it. */
  deltaWithOrder(epsilon: number): ConvertedGuarantee {
    return deltaFromRdp(this.orders, [...this.total], epsilon);
  }

  delta(epsilon: number): number {
    return this.deltaWithOrder(epsilon).value;
  }
}
