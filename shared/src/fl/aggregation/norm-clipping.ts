// Server-side norm clipping of device updates, before they are aggregated: one device must not move the model
// arbitrarily far by scaling its update. The bound is relative to what the iteration's devices sent (a factor
// of the median), so it needs no task-specific scale: for a sparse table each row's delta is clipped to the
// factor times the median row norm of every update's rows (a row is the unit a device touches, and per-row
// norms do not grow with how active a user was); a dense tensor's delta is clipped per update to the factor
// times the median of the updates' norms of that tensor. Deltas are scaled down, never up; the inputs are
// not modified (they may be views of received frames).

import { rowSize, type ModelUpdate, type SparseRows, type TensorValue } from '../model.js';

export interface ClippingOutcome {
  readonly updates: ModelUpdate[];
  /** Sparse rows and dense tensors scaled down. */
  readonly clipped: number;
}

function median(values: Float64Array): number {
  if (values.length === 0) return 0;
  const sorted = values.slice().sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function norm(values: Float32Array, start: number, end: number): number {
  let sum = 0;
  for (let i = start; i < end; i++) sum += values[i] * values[i];
  return Math.sqrt(sum);
}

/** Clips `updates` (see the file's header) with bound `factor` × median; factor 0 or fewer than two updates: unchanged. */
export function clipToMedianNorm(updates: readonly ModelUpdate[], factor: number): ClippingOutcome {
  if (!(factor > 0) || updates.length < 2) return { updates: [...updates], clipped: 0 };
  const names = new Set(updates.flatMap((u) => [...u.delta.keys()]));
  const caps = new Map<string, number>();
  for (const name of names) {
    const norms: number[] = [];
    for (const update of updates) {
      const value = update.delta.get(name);
      if (!value) continue;
      if (value.kind === 'dense') norms.push(norm(value.values, 0, value.values.length));
      else {
        const width = rowSize(value.shape);
        for (let r = 0; r < value.rows.length; r++) norms.push(norm(value.values, r * width, (r + 1) * width));
      }
    }
    caps.set(name, factor * median(Float64Array.from(norms)));
  }
  let clipped = 0;
  const out = updates.map((update) => {
    let delta: Map<string, TensorValue> | undefined;
    for (const [name, value] of update.delta) {
      const cap = caps.get(name) as number;
      const scaled = value.kind === 'dense' ? clipDense(value.values, cap) : clipRows(value, cap);
      if (!scaled) continue;
      clipped += scaled.count;
      delta ??= new Map(update.delta);
      delta.set(name, { ...value, values: scaled.values });
    }
    return delta ? { ...update, delta } : update;
  });
  return { updates: out, clipped };
}

function clipDense(values: Float32Array, cap: number): { values: Float32Array; count: number } | undefined {
  const n = norm(values, 0, values.length);
  if (!(n > cap)) return undefined;
  const scale = cap / n;
  return { values: values.map((v) => v * scale), count: 1 };
}

function clipRows(rows: SparseRows, cap: number): { values: Float32Array; count: number } | undefined {
  const width = rowSize(rows.shape);
  let values: Float32Array | undefined;
  let count = 0;
  for (let r = 0; r < rows.rows.length; r++) {
    const n = norm(rows.values, r * width, (r + 1) * width);
    if (!(n > cap)) continue;
    values ??= rows.values.slice();
    const scale = cap / n;
    for (let i = r * width; i < (r + 1) * width; i++) values[i] *= scale;
    count++;
  }
  return values ? { values, count } : undefined;
}
