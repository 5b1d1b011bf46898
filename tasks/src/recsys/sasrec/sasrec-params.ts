// SASRec's parameters: the item table (shared by the input embedding and the output scores) and every other
// weight (positions, the blocks' layer norms, attention projections and feed-forward layers, the final layer
// norm) packed in one flat array, so that an optimizer step or a federated delta is one loop. The layout
// names each tensor as a model tensor (`ModelParams`) for the wire.

import { dense, type ModelParams, type SeededRandom } from '@strata/shared';

export const SASREC_ITEM_EMBEDDING = 'item_embedding';

/** The model's size: the item count, hidden size d, window L and number of blocks. */
export interface SasrecShape {
  readonly numItems: number;
  readonly dim: number;
  readonly maxLength: number;
  readonly blocks: number;
}

export type DenseInit = 'normal' | 'ones' | 'zeros';

/** One tensor of the flat dense array. */
export interface DenseSlot {
  readonly name: string;
  readonly shape: readonly number[];
  readonly offset: number;
  readonly size: number;
  readonly init: DenseInit;
}

/** Offsets of one block's tensors in the flat dense array. */
export interface BlockOffsets {
  readonly ln1Gamma: number;
  readonly ln1Beta: number;
  readonly wq: number;
  readonly wk: number;
  readonly wv: number;
  readonly ln2Gamma: number;
  readonly ln2Beta: number;
  readonly w1: number;
  readonly b1: number;
  readonly w2: number;
  readonly b2: number;
}

export interface DenseLayout {
  readonly slots: readonly DenseSlot[];
  readonly size: number;
  readonly position: number;
  readonly blocks: readonly BlockOffsets[];
  readonly finalGamma: number;
  readonly finalBeta: number;
}

/** The flat layout of every tensor but the item table, in a fixed order. */
export function denseLayout(shape: SasrecShape): DenseLayout {
  const d = shape.dim;
  const slots: DenseSlot[] = [];
  let size = 0;
  const add = (name: string, dims: number[], init: DenseInit): number => {
    const n = dims.reduce((a, b) => a * b, 1);
    slots.push({ name, shape: dims, offset: size, size: n, init });
    size += n;
    return size - n;
  };
  const position = add('position_embedding', [shape.maxLength, d], 'normal');
  const blocks: BlockOffsets[] = [];
  for (let b = 0; b < shape.blocks; b++) {
    const p = `block_${b}.`;
    blocks.push({
      ln1Gamma: add(`${p}attention_norm.gamma`, [d], 'ones'),
      ln1Beta: add(`${p}attention_norm.beta`, [d], 'zeros'),
      wq: add(`${p}query.kernel`, [d, d], 'normal'),
      wk: add(`${p}key.kernel`, [d, d], 'normal'),
      wv: add(`${p}value.kernel`, [d, d], 'normal'),
      ln2Gamma: add(`${p}feed_forward_norm.gamma`, [d], 'ones'),
      ln2Beta: add(`${p}feed_forward_norm.beta`, [d], 'zeros'),
      w1: add(`${p}feed_forward_1.kernel`, [d, d], 'normal'),
      b1: add(`${p}feed_forward_1.bias`, [d], 'zeros'),
      w2: add(`${p}feed_forward_2.kernel`, [d, d], 'normal'),
      b2: add(`${p}feed_forward_2.bias`, [d], 'zeros'),
    });
  }
  const finalGamma = add('final_norm.gamma', [d], 'ones');
  const finalBeta = add('final_norm.beta', [d], 'zeros');
  return { slots, size, position, blocks, finalGamma, finalBeta };
}

/** The weights a kernel reads: the item table [numItems, d] and the flat dense array. */
export interface SasrecWeights {
  readonly items: Float32Array;
  readonly dense: Float32Array;
}

/**
 * Fresh weights: the item table, positions and every kernel ~ normal(0, 1/sqrt(d)) (Glorot for d × d),
 * layer-norm gains 1, biases 0.
 */
export function initSasrecWeights(shape: SasrecShape, random: SeededRandom): SasrecWeights {
  const std = 1 / Math.sqrt(shape.dim);
  const items = new Float32Array(shape.numItems * shape.dim);
  const itemRandom = random.fork('items');
  for (let k = 0; k < items.length; k++) items[k] = itemRandom.normal() * std;
  const layout = denseLayout(shape);
  const values = new Float32Array(layout.size);
  const denseRandom = random.fork('dense');
  for (const slot of layout.slots) {
    const view = values.subarray(slot.offset, slot.offset + slot.size);
    if (slot.init === 'ones') view.fill(1);
    else if (slot.init === 'normal') for (let k = 0; k < view.length; k++) view[k] = denseRandom.normal() * std;
  }
  return { items, dense: values };
}

/** The weights as named model tensors (copies). */
export function sasrecModelParams(shape: SasrecShape, weights: SasrecWeights): ModelParams {
  const model: ModelParams = new Map([[SASREC_ITEM_EMBEDDING, dense([shape.numItems, shape.dim], weights.items.slice())]]);
  for (const slot of denseLayout(shape).slots) {
    model.set(slot.name, dense([...slot.shape], weights.dense.slice(slot.offset, slot.offset + slot.size)));
  }
  return model;
}
