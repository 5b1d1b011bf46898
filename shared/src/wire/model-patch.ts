// A ModelPatch on the wire (the change between two models a device holds, see strata.proto) and how it is
// applied. The edge applies each patch it sends to its own copy of what its devices hold with the same
// function, on the values decoded from the same bytes, so both copies stay bit-identical.

import { WireFormatError } from '../errors.js';
import { rowSize, type ModelParams } from '../fl/model.js';
import type { strata } from './generated/strata.js';
import { decodeTensorList, type NamedTensor } from './tensor-codec.js';
import { wireLimits, type WireLimits } from './wire-limits.js';

/** Which model a patch applies to, and which it makes. */
export interface ModelStateId {
  readonly version: number;
  readonly checksum: number;
}

export interface DecodedModelPatch {
  readonly base: ModelStateId;
  readonly target: ModelStateId;
  readonly tensors: readonly NamedTensor[];
  /** The values are differences to add, not values to put in place. */
  readonly additive: boolean;
}

export function decodeModelPatch(message: strata.IModelPatch, limits: Partial<WireLimits> = {}): DecodedModelPatch {
  return {
    base: { version: message.baseVersion ?? 0, checksum: (message.baseChecksum ?? 0) >>> 0 },
    target: { version: message.version ?? 0, checksum: (message.checksum ?? 0) >>> 0 },
    tensors: decodeTensorList(message.tensors, wireLimits(limits), 'model patch'),
    additive: message.additive === true,
  };
}

/**
 * Applies `tensors` to `model` in place: dense tensors whole, sparse ones row by row, replacing values or
 * adding to them. Throws WireFormatError when a tensor is missing from `model` or has another shape (the
 * patch was made for another model).
 */
export function applyPatchTensors(model: ModelParams, tensors: readonly NamedTensor[], additive: boolean): void {
  for (const { name, value } of tensors) {
    const target = model.get(name);
    if (!target || target.shape.length !== value.shape.length || target.shape.some((d, i) => d !== value.shape[i])) {
      throw new WireFormatError(`model patch: tensor '${name}' [${value.shape.join(', ')}] does not match the model held`);
    }
    const out = target.values;
    const values = value.values;
    if (value.kind === 'dense') {
      if (!additive) out.set(values);
      else for (let i = 0; i < out.length; i++) out[i] += values[i];
      continue;
    }
    const width = rowSize(value.shape);
    for (let r = 0; r < value.rows.length; r++) {
      const to = value.rows[r] * width;
      const from = r * width;
      if (!additive) out.set(values.subarray(from, from + width), to);
      else for (let j = 0; j < width; j++) out[to + j] += values[from + j];
    }
  }
}
