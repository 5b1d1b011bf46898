// A whole model on the wire (the Model message, sent down the hierarchy): every tensor dense.

import { WireFormatError } from '../errors.js';
import type { ModelParams } from '../fl/model.js';
import type { strata } from './generated/strata.js';
import { decodeTensorList, encodeTensor, type WireDType } from './tensor-codec.js';
import { wireLimits, type WireLimits } from './wire-limits.js';

export interface DecodedModel {
  readonly version: number;
  readonly params: ModelParams;
}

/** The Model message for `params` at `version`. An int8 model gets one scale per row (rank >= 2). */
export function encodeModel(params: ModelParams, version: number, dtype: WireDType = 'float32'): strata.IModel {
  const tensors: strata.ITensor[] = [];
  for (const [name, tensor] of params) tensors.push(encodeTensor(name, tensor, { dtype, perRowScale: true }));
  return { version, tensors };
}

/** The model a Model message holds, after checking every tensor; throws WireFormatError. */
export function decodeModel(message: strata.IModel | null | undefined, limits: Partial<WireLimits> = {}): DecodedModel {
  if (!message) throw new WireFormatError('model is missing');
  const params: ModelParams = new Map();
  for (const { name, value } of decodeTensorList(message.tensors, wireLimits(limits), 'model')) {
    if (value.kind !== 'dense') throw new WireFormatError(`model tensor '${name}' is sparse; a model holds dense tensors`);
    params.set(name, value);
  }
  return { version: message.version ?? 0, params };
}
