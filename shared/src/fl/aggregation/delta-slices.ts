// How a server step walks a combined update: a dense tensor is one slice of its model tensor, sparse rows
// one slice per row present. Server optimizers written against slices are lazy on sparse tensors for
// free: rows absent from this round's update, and their optimizer state, are not touched.

import { InvalidUpdateError } from '../../errors.js';
import { elementCount, rowSize, type ModelParams, type ModelUpdate, type TensorValue } from '../model.js';

/**
 * Called per slice: model values param[paramStart .. paramStart + length) correspond to
 * delta[deltaStart .. deltaStart + length). `name` is the tensor's, to key optimizer state.
 */
export type SliceVisitor = (
  name: string,
  param: Float32Array,
  paramStart: number,
  delta: Float32Array,
  deltaStart: number,
  length: number,
) => void;

/**
 * Visits every slice of `combined` against `model`. Checks the whole update first (every tensor known to
 * the model, same shape, rows in range), so a bad update changes nothing.
 */
export function forEachDeltaSlice(model: ModelParams, combined: ModelUpdate, visit: SliceVisitor): void {
  const checked: { name: string; t: TensorValue; param: Float32Array }[] = [];
  for (const [name, t] of combined.delta) {
    const target = model.get(name);
    if (!target) throw new InvalidUpdateError('unknown_tensor', `update has tensor "${name}", which the model does not have`);
    if (target.shape.length !== t.shape.length || target.shape.some((d, i) => d !== t.shape[i])) {
      throw new InvalidUpdateError(
        'shape',
        `tensor "${name}" has shape [${t.shape.join(', ')}] in the update but [${target.shape.join(', ')}] in the model`,
      );
    }
    const expected = t.kind === 'dense' ? elementCount(t.shape) : t.rows.length * rowSize(t.shape);
    const lastRow = t.kind === 'sparse' && t.rows.length > 0 ? t.rows[t.rows.length - 1] : -1;
    if (t.values.length !== expected || lastRow >= target.shape[0]) {
      throw new InvalidUpdateError('shape', `tensor "${name}" in the update does not fit shape [${t.shape.join(', ')}]`);
    }
    checked.push({ name, t, param: target.values });
  }
  for (const { name, t, param } of checked) {
    if (t.kind === 'dense') {
      visit(name, param, 0, t.values, 0, t.values.length);
      continue;
    }
    const width = rowSize(t.shape);
    for (let k = 0; k < t.rows.length; k++) visit(name, param, t.rows[k] * width, t.values, k * width, width);
  }
}
