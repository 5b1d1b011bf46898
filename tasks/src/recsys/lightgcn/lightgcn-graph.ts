// LightGCN's graph (He et al., SIGIR 2020): users and items as nodes (users 0..U-1, item i at U + i), an
// edge each way per training interaction, weighted 1 / sqrt(|N_u| |N_i|) (symmetric normalisation).

import type { UserSplit } from '../data/interactions.js';
import type { PropagationGraph } from './graph-bpr-trainer.js';
import { SparseAdjacency } from './sparse-adjacency.js';

/** Training interactions per item (the item-side degrees |N_i|; the same counts popularity ranks by). */
export function itemDegrees(split: UserSplit): Float32Array {
  const degrees = new Float32Array(split.numItems);
  for (const items of split.train) for (const item of items) degrees[item]++;
  return degrees;
}

/**
 * The edges of the user-item graph with LightGCN's weights, as parallel arrays (both directions); item i is
 * node itemNodes[i] (default numUsers + i).
 */
export function userItemEdges(
  split: UserSplit,
  itemNodes: Int32Array = defaultItemNodes(split),
): { rows: Int32Array; columns: Int32Array; weights: Float32Array } {
  const degrees = itemDegrees(split);
  const count = split.train.reduce((n, items) => n + items.length, 0);
  const rows = new Int32Array(2 * count);
  const columns = new Int32Array(2 * count);
  const weights = new Float32Array(2 * count);
  let e = 0;
  split.train.forEach((items, u) => {
    for (const item of items) {
      const w = 1 / Math.sqrt(items.length * degrees[item]);
      const node = itemNodes[item];
      rows[e] = u;
      columns[e] = node;
      weights[e++] = w;
      rows[e] = node;
      columns[e] = u;
      weights[e++] = w;
    }
  });
  return { rows, columns, weights };
}

/** The normalised user-item graph; symmetric, so its transpose is itself. */
export function lightGcnGraph(split: UserSplit): PropagationGraph {
  const { rows, columns, weights } = userItemEdges(split);
  const numNodes = split.numUsers + split.numItems;
  const adjacency = SparseAdjacency.fromEdges(numNodes, rows, columns, weights);
  return {
    numNodes,
    itemNodes: defaultItemNodes(split),
    epochAdjacency: () => ({ forward: adjacency, backward: adjacency }),
  };
}

function defaultItemNodes(split: UserSplit): Int32Array {
  return Int32Array.from({ length: split.numItems }, (_, i) => split.numUsers + i);
}
