// From Rényi DP to (ε, δ)-DP, taking the best order. The bound is Proposition 12 of Canonne, Kamath and
// Steinke, "The Discrete Gaussian for Differential Privacy" (2020):
//   ε = rdp + log(1 - 1/α) - log(δ α) / (α - 1),
// tighter than the classic rdp + log(1/δ) / (α - 1), together with the KL-divergence bound
// δ ≤ sqrt(1 - exp(-rdp)) that wins for tiny RDP. This is the conversion dp-accounting applies.

/** The privacy guarantee at the best order, and that order. */
export interface ConvertedGuarantee {
  readonly value: number;
  readonly order: number;
}

/** The conversion is unstable as α approaches 1 and useless there, so orders at or below this are not used for it. */
const MIN_ORDER_FOR_CONVERSION = 1.01;

function checkCurve(orders: readonly number[], rdp: readonly number[]): void {
  if (orders.length !== rdp.length || orders.length === 0) {
    throw new RangeError(`RDP curve needs one value per order: ${orders.length} orders, ${rdp.length} values`);
  }
  for (const order of orders) if (!(order >= 1)) throw new RangeError(`RDP order must be >= 1, got ${order}`);
}

/** The smallest ε such that the mechanism with this RDP curve is (ε, δ)-DP. */
export function epsilonFromRdp(orders: readonly number[], rdp: readonly number[], delta: number): ConvertedGuarantee {
  checkCurve(orders, rdp);
  if (!(delta >= 0 && delta < 1)) throw new RangeError(`delta must be in [0, 1), got ${delta}`);
  if (delta === 0) return { value: rdp.every((r) => r === 0) ? 0 : Infinity, order: 0 };
  let best: ConvertedGuarantee = { value: Infinity, order: orders[0] };
  for (let k = 0; k < orders.length; k++) {
    const a = orders[k];
    const r = rdp[k];
    let epsilon: number;
    // A negative divergence is numerical noise from an extreme curve: no privacy loss at that order.
    if (r < 0) epsilon = 0;
    else if (delta * delta + Math.expm1(-r) > 0) epsilon = 0;
    else if (a > MIN_ORDER_FOR_CONVERSION) epsilon = r + Math.log1p(-1 / a) - Math.log(delta * a) / (a - 1);
    else epsilon = Infinity;
    if (epsilon < best.value) best = { value: epsilon, order: a };
  }
  return { value: Math.max(0, best.value), order: best.order };
}

/** The smallest δ such that the mechanism with this RDP curve is (ε, δ)-DP. */
export function deltaFromRdp(orders: readonly number[], rdp: readonly number[], epsilon: number): ConvertedGuarantee {
  checkCurve(orders, rdp);
  if (!(epsilon >= 0)) throw new RangeError(`epsilon must be >= 0, got ${epsilon}`);
  let best: ConvertedGuarantee = { value: Infinity, order: orders[0] };
  for (let k = 0; k < orders.length; k++) {
    const a = orders[k];
    const r = rdp[k];
    let logDelta = r <= 0 ? -Infinity : 0.5 * Math.log1p(-Math.exp(-r));
    if (a > MIN_ORDER_FOR_CONVERSION) {
      logDelta = Math.min(logDelta, (a - 1) * (r - epsilon + Math.log1p(-1 / a)) - Math.log(a));
    }
    if (logDelta < best.value) best = { value: logDelta, order: a };
  }
  return { value: Math.min(Math.exp(best.value), 1), order: best.order };
}
