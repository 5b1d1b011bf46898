// Axis scales on "nice" 1-2-5 steps, so tick labels read as round numbers (0, 0.2, 0.4 rather than
// 0, 0.173, 0.346).

export interface TickScale {
  /** First tick: at or below the data minimum. */
  min: number;
  /** Last tick: at or above the data maximum. */
  max: number;
  step: number;
  ticks: number[];
}

export interface NiceTickOptions {
  /** About how many intervals the axis should have; the result has at most count + 2. */
  count?: number;
  /** Never step below 1 (round numbers, counts). */
  integer?: boolean;
}

const NICE_FACTORS = [1, 2, 5, 10];

/**
 * A nice scale covering [lo, hi]. A degenerate range (one value) is widened around the value by one unit of
 * its order of magnitude; non-finite bounds fall back to the finite one, or to [0, 1].
 */
export function niceTicks(lo: number, hi: number, options: NiceTickOptions = {}): TickScale {
  const count = Math.max(1, Math.floor(options.count ?? 5));
  if (!Number.isFinite(lo) && !Number.isFinite(hi)) [lo, hi] = [0, 1];
  else if (!Number.isFinite(lo)) lo = hi;
  else if (!Number.isFinite(hi)) hi = lo;
  if (lo > hi) [lo, hi] = [hi, lo];
  if (lo === hi) {
    const pad = lo === 0 ? 1 : 10 ** Math.floor(Math.log10(Math.abs(lo)));
    const widen = options.integer ? Math.max(1, pad) : pad;
    lo -= widen;
    hi += widen;
  }
  const rough = (hi - lo) / count;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  let step = (NICE_FACTORS.find((f) => f * magnitude >= rough * (1 - 1e-9)) ?? 10) * magnitude;
  if (options.integer) step = Math.max(1, step);
  const decimals = stepDecimals(step);
  // The small tolerances keep float noise (0.30000000000000004 / 0.1) from adding a spurious tick.
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  const ticks: number[] = [];
  for (let i = first; i <= last; i++) ticks.push(roundTo(i * step, decimals));
  return { min: ticks[0], max: ticks[ticks.length - 1], step, ticks };
}

/** How many decimals a tick label needs to show values on this step exactly. */
export function stepDecimals(step: number): number {
  return Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
}

function roundTo(value: number, decimals: number): number {
  const rounded = Number(value.toFixed(Math.min(decimals, 100)));
  return Object.is(rounded, -0) ? 0 : rounded;
}
