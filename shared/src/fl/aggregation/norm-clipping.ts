// Server-side norm clipping of device updates, before they are aggregated: one device must not move the model
// arbitrarily far by scaling its update. The bound is relative to what the iteration's devices sent (a factor
// of the median), so it needs no task-specific scale: for a sparse table each row's delta is clipped to the
// factor times the median row norm of every update's rows (a row is the unit a device touches, and per-row
// norms do not grow with how active a user was); a dense tensor's delta is clipped per update to the factor
// times the median of the updates' norms of that tensor. Deltas are scaled down, never up; the inputs are
// not modified (they may be views of received frames).
//
// Per-row caps alone leave a device that scales its whole update (model replacement) every row up to the
// cap: ten per cent of devices at ten times an honest row each outweigh everyone else. So a sparse table is
// first clipped per update: an update's scale is the median norm of its rows (a robust statistic of one
// device, which spreads far less across honest devices than single rows do), capped at `updateFactor` times
// the median of the iteration's update scales by scaling all its rows alike. A scaled update comes back to
// about an honest device's scale; an honest one is rarely touched (none at factor 3 on ml-100k).

import { rowSize, type ModelUpdate, type SparseRows, type TensorValue } from '../model.js';
import { medianInPlace } from './order-statistic.js';

export interface ClippingOutcome {
  readonly updates: ModelUpdate[];
  /** Sparse rows and dense tensors scaled down. */
  readonly clipped: number;
  /** Sparse tables scaled down as a whole, for an update scale above updateFactor × the median. */
  readonly scaledTables: number;
}

function norm(values: Float32Array, start: number, end: number): number {
  let sum = 0;
  for (let i = start; i < end; i++) sum += values[i] * values[i];
  return Math.sqrt(sum);
}

function tensorNorms(value: TensorValue): Float64Array {
  return value.kind === 'dense' ? Float64Array.of(norm(value.values, 0, value.values.length)) : rowNorms(value);
}

function rowNorms(rows: SparseRows): Float64Array {
  const width = rowSize(rows.shape);
  const norms = new Float64Array(rows.rows.length);
  for (let r = 0; r < rows.rows.length; r++) norms[r] = norm(rows.values, r * width, (r + 1) * width);
  return norms;
}

/**
 * Clips `updates` (see the file's header): each sparse table's update scale to `updateFactor` × the median
 * scale, then each row and dense tensor to `factor` × the median norm. A factor of 0 turns its stage off;
 * fewer than two updates: unchanged.
 */
export function clipToMedianNorm(updates: readonly ModelUpdate[], factor: number, updateFactor = 0): ClippingOutcome {
  if (updates.length < 2) return { updates: [...updates], clipped: 0, scaledTables: 0 };
  const scaled = updateFactor > 0 ? scaleOutlyingTables(updates, updateFactor) : { updates, count: 0 };
  const rows = factor > 0 ? clipRowsAndTensors(scaled.updates, factor) : { updates: [...scaled.updates], clipped: 0 };
  return { ...rows, scaledTables: scaled.count };
}

/** The per-update stage: sparse tables whose median row norm is above `factor` × the median of those, scaled down. */
function scaleOutlyingTables(updates: readonly ModelUpdate[], factor: number): { updates: readonly ModelUpdate[]; count: number } {
  const scales = updates.map(
    (update) =>
      new Map([...update.delta].flatMap(([name, value]) => (value.kind === 'sparse' ? [[name, medianInPlace(rowNorms(value))]] : []))),
  );
  const caps = new Map<string, number>();
  for (const name of new Set(scales.flatMap((s) => [...s.keys()]))) {
    const present = scales.flatMap((s) => (s.has(name) ? [s.get(name) as number] : []));
    caps.set(name, factor * medianInPlace(Float64Array.from(present)));
  }
  let count = 0;
  const out = updates.map((update, u) => {
    let delta: Map<string, TensorValue> | undefined;
    for (const [name, scale] of scales[u]) {
      const cap = caps.get(name) as number;
      if (!(scale > cap)) continue;
      const value = update.delta.get(name) as SparseRows;
      delta ??= new Map(update.delta);
      delta.set(name, { ...value, values: value.values.map((v) => (v * cap) / scale) });
      count++;
    }
    return delta ? { ...update, delta } : update;
  });
  return { updates: out, count };
}

/** The per-row stage: each sparse row and dense tensor above `factor` × the median norm, scaled down to it. */
function clipRowsAndTensors(updates: readonly ModelUpdate[], factor: number): { updates: ModelUpdate[]; clipped: number } {
  // Each update's norms, computed once: a dense tensor's one norm, a sparse table's row norms.
  const norms = updates.map((update) => new Map([...update.delta].map(([name, value]) => [name, tensorNorms(value)])));
  const caps = new Map<string, number>();
  for (const name of new Set(updates.flatMap((u) => [...u.delta.keys()]))) {
    const parts = norms.flatMap((n) => (n.has(name) ? [n.get(name) as Float64Array] : []));
    const all = new Float64Array(parts.reduce((sum, part) => sum + part.length, 0));
    for (let p = 0, offset = 0; p < parts.length; offset += parts[p].length, p++) all.set(parts[p], offset);
    caps.set(name, factor * medianInPlace(all));
  }
  let clipped = 0;
  const out = updates.map((update, u) => {
    let delta: Map<string, TensorValue> | undefined;
    for (const [name, value] of update.delta) {
      const cap = caps.get(name) as number;
      const own = norms[u].get(name) as Float64Array;
      const scaled = value.kind === 'dense' ? clipDense(value.values, own[0], cap) : clipRows(value, own, cap);
      if (!scaled) continue;
      clipped += scaled.count;
      delta ??= new Map(update.delta);
      delta.set(name, { ...value, values: scaled.values });
    }
    return delta ? { ...update, delta } : update;
  });
  return { updates: out, clipped };
}

function clipDense(values: Float32Array, n: number, cap: number): { values: Float32Array; count: number } | undefined {
  if (!(n > cap)) return undefined;
  const scale = cap / n;
  return { values: values.map((v) => v * scale), count: 1 };
}

function clipRows(rows: SparseRows, norms: Float64Array, cap: number): { values: Float32Array; count: number } | undefined {
  const width = rowSize(rows.shape);
  let values: Float32Array | undefined;
  let count = 0;
  for (let r = 0; r < rows.rows.length; r++) {
    const n = norms[r];
    if (!(n > cap)) continue;
    values ??= rows.values.slice();
    const scale = cap / n;
    for (let i = r * width; i < (r + 1) * width; i++) values[i] *= scale;
    count++;
  }
  return values ? { values, count } : undefined;
}
