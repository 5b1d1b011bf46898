// The tensors of a federated LightGCN (and KGAT) model: the item ego table `item_embedding` and, per layer k,
// `item_layer_k` (the item-side neighbour sums devices build) and, for KGAT, `item_knowledge_k` (the
// knowledge graph's part of the layer, computed at the cloud, never sent by devices); reading them with their
// shapes checked, and the items' final embeddings.

import type { ModelParams } from '@strata/shared';
import { ConfigError } from '@strata/shared';

export const ITEM_EMBEDDING = 'item_embedding';

export function itemLayerName(layer: number): string {
  return `item_layer_${layer}`;
}

export function itemKnowledgeName(layer: number): string {
  return `item_knowledge_${layer}`;
}

export interface ItemTables {
  /** [numItems, dim]: e_i^0. */
  readonly ego: Float32Array;
  /** layers[k - 1]: [numItems, dim], item layer k (the neighbour sums plus the knowledge part, if any). */
  readonly layers: readonly Float32Array[];
  /** neighbourSums[k - 1]: the model's `item_layer_k`, the part devices send terms for. */
  readonly neighbourSums: readonly Float32Array[];
}

/** The model's item tables; `item_knowledge_k`, when present, is added to layer k. */
export function readItemTables(model: ModelParams, numItems: number, dim: number, layers: number): ItemTables {
  const read = (name: string): Float32Array => {
    const t = model.get(name);
    if (t?.kind !== 'dense' || t.shape.length !== 2 || t.shape[0] !== numItems || t.shape[1] !== dim) {
      throw new ConfigError(`graph model needs ${name} of shape [${numItems}, ${dim}], got ${t ? `[${t.shape.join(', ')}]` : 'none'}`);
    }
    return t.values;
  };
  const neighbourSums = Array.from({ length: layers }, (_, l) => read(itemLayerName(l + 1)));
  const withKnowledge = neighbourSums.map((sums, l) => {
    if (!model.has(itemKnowledgeName(l + 1))) return sums;
    const out = read(itemKnowledgeName(l + 1)).slice();
    for (let k = 0; k < out.length; k++) out[k] += sums[k];
    return out;
  });
  return { ego: read(ITEM_EMBEDDING), layers: withKnowledge, neighbourSums };
}

/** (e_i^0 + item layers 1..K) / (K + 1) for every item. */
export function itemFinalEmbeddings(tables: ItemTables): Float32Array {
  const out = tables.ego.slice();
  for (const layer of tables.layers) for (let k = 0; k < out.length; k++) out[k] += layer[k];
  const scale = 1 / (tables.layers.length + 1);
  for (let k = 0; k < out.length; k++) out[k] *= scale;
  return out;
}
