// The knowledge graph's part of each item layer in federated KGAT, computed at the cloud: the KG is public
// item-side knowledge, so TransR trains on it there (before round 1) and the attention-weighted propagation
// over the KG alone gives, per layer k, Z^k = (knowledgeWeight × attention adjacency) Z^(k-1) from the TransR
// entity embeddings Z^0; item i's row of Z^k is added to its layer k (`item_knowledge_k`).

import { SeededRandom } from '@strata/shared';
import { SparseAdjacency } from '../lightgcn/sparse-adjacency.js';
import type { CollaborativeKnowledgeGraph } from './collaborative-knowledge-graph.js';
import type { KgatTaskOptions } from './kgat-task-options.js';
import { TransR } from './transr.js';

/** layers[k - 1]: [numItems, dim], the knowledge part of item layer k. */
export function knowledgeTerms(ckg: CollaborativeKnowledgeGraph, o: KgatTaskOptions): Float32Array[] {
  const random = new SeededRandom(o.seed).fork('kgat:cloud');
  const d = o.dim;
  const ego = new Float32Array(ckg.numNodes * d);
  const init = random.fork('init');
  for (let k = 0; k < ego.length; k++) ego[k] = init.normal() * o.initStd;
  const transR = new TransR(ckg.numNodes, ckg.numRelations, d, o.relationDim, random.fork('transr'), o.initStd);
  for (let epoch = 0; epoch < o.kgEpochs; epoch++) {
    transR.trainEpoch(ego, ckg, ckg.knowledgeNodes, o.kgTriplesPerEpoch, o.kgBatchSize, o.kgLearningRate, o.kgReg, random);
  }
  const attention = transR.attention(ego, ckg, ckg.numNodes);
  const weights = attention.map((a) => o.knowledgeWeight * a);
  const adjacency = SparseAdjacency.fromEdges(ckg.numNodes, ckg.heads, ckg.tails, weights);
  const layers: Float32Array[] = [];
  let from = ego;
  for (let l = 1; l <= o.layers; l++) {
    const to = new Float32Array(from.length);
    adjacency.propagate(from, to, d);
    const items = new Float32Array(ckg.itemNodes.length * d);
    ckg.itemNodes.forEach((node, i) => items.set(to.subarray(node * d, node * d + d), i * d));
    layers.push(items);
    from = to;
  }
  return layers;
}
