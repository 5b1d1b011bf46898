// Lines the updates up tensor by tensor, checking what aggregation relies on: a non-empty list, usable
// weights, one shape per tensor name, and values that fit their shape. (Non-finite values and stale
// versions are checked before aggregation, where updates are received.)

import { InvalidUpdateError } from '../../errors.js';
import { elementCount, rowSize, type ModelUpdate, type SparseRows, type TensorValue } from '../model.js';

/** One tensor across the updates that contain it. */
export interface TensorGroup {
  readonly name: string;
  readonly shape: readonly number[];
  /** Position in the update list of each entry; an update without this tensor has no entry. */
  readonly updateIndex: readonly number[];
  readonly values: readonly TensorValue[];
  /** The weight of the update each entry comes from. */
  readonly weights: readonly number[];
}

interface MutableGroup {
  readonly name: string;
  readonly shape: readonly number[];
  readonly updateIndex: number[];
  readonly values: TensorValue[];
  readonly weights: number[];
}

const showShape = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function checkTensor(name: string, t: TensorValue, update: number): void {
  const where = `tensor "${name}" of update ${update}`;
  if (t.kind === 'dense') {
    const n = elementCount(t.shape);
    if (t.values.length !== n) {
      throw new InvalidUpdateError('shape', `${where} has ${t.values.length} values for shape ${showShape(t.shape)} (needs ${n})`);
    }
    return;
  }
  if (t.shape.length === 0) throw new InvalidUpdateError('shape', `${where} is sparse rows of a scalar shape []`);
  const n = t.rows.length * rowSize(t.shape);
  if (t.values.length !== n) {
    throw new InvalidUpdateError(
      'shape',
      `${where} has ${t.values.length} values for ${t.rows.length} rows of shape ${showShape(t.shape)} (needs ${n})`,
    );
  }
  if (t.rowWeights && t.rowWeights.length !== t.rows.length) {
    throw new InvalidUpdateError('shape', `${where} has ${t.rowWeights.length} row weights for ${t.rows.length} rows`);
  }
  let previous = -1;
  for (const row of t.rows) {
    if (row <= previous || row >= t.shape[0]) {
      throw new InvalidUpdateError(
        'malformed',
        `${where}: row ${row} after row ${previous} (rows must be strictly increasing and below ${t.shape[0]})`,
      );
    }
    previous = row;
  }
  if (t.zeroRows) checkZeroRows(t, where);
}

/** A sparse tensor's held-back rows: increasing, in range, none also sent, weighted as its sent rows are. */
function checkZeroRows(t: SparseRows, where: string): void {
  const zeroRows = t.zeroRows!;
  if (Boolean(t.zeroRowWeights) !== Boolean(t.rowWeights) || (t.zeroRowWeights && t.zeroRowWeights.length !== zeroRows.length)) {
    throw new InvalidUpdateError(
      'shape',
      `${where} has ${t.zeroRowWeights?.length ?? 'no'} zero-row weights for ${zeroRows.length} zero rows ` +
        `(needed exactly when its rows have weights: ${t.rowWeights ? 'they do' : 'they do not'})`,
    );
  }
  let previous = -1;
  let sent = 0;
  for (const row of zeroRows) {
    if (row <= previous || row >= t.shape[0]) {
      throw new InvalidUpdateError(
        'malformed',
        `${where}: zero row ${row} after zero row ${previous} (zero rows must be strictly increasing and below ${t.shape[0]})`,
      );
    }
    while (sent < t.rows.length && t.rows[sent] < row) sent++;
    if (t.rows[sent] === row) throw new InvalidUpdateError('malformed', `${where}: row ${row} is both sent and held back as a zero row`);
    previous = row;
  }
}

/** Groups `updates` by tensor name, in order of first appearance; throws on anything aggregation cannot use. */
export function groupTensors(updates: readonly ModelUpdate[]): TensorGroup[] {
  if (updates.length === 0) throw new RangeError('cannot aggregate an empty list of updates');
  const groups = new Map<string, MutableGroup>();
  for (const [i, update] of updates.entries()) {
    if (!Number.isFinite(update.weight) || update.weight < 0) {
      throw new InvalidUpdateError('malformed', `update ${i} has weight ${update.weight} (weights must be finite and >= 0)`);
    }
    for (const [name, t] of update.delta) {
      checkTensor(name, t, i);
      let group = groups.get(name);
      if (!group) {
        group = { name, shape: t.shape, updateIndex: [], values: [], weights: [] };
        groups.set(name, group);
      } else if (!sameShape(group.shape, t.shape)) {
        throw new InvalidUpdateError(
          'shape',
          `tensor "${name}" has shape ${showShape(t.shape)} in update ${i} but ${showShape(group.shape)} in update ${group.updateIndex[0]}`,
        );
      }
      group.updateIndex.push(i);
      group.values.push(t);
      group.weights.push(update.weight);
    }
  }
  return [...groups.values()];
}

/**
 * A tensor as sparse rows: itself if it is, else all of its rows. This is how a tensor that is dense in
 * one update and sparse in another is combined: the dense one contributes every row.
 */
export function asSparseRows(t: TensorValue): SparseRows {
  if (t.kind === 'sparse') return t;
  if (t.shape.length === 0) throw new RangeError('a scalar tensor has no rows');
  const rows = new Uint32Array(t.shape[0]);
  for (let r = 0; r < rows.length; r++) rows[r] = r;
  return { kind: 'sparse', shape: t.shape, rows, values: t.values };
}
