// The propagation graph of centralized KGAT: user-item edges with LightGCN's normalisation, and the
// collaborative knowledge graph's triples weighted by knowledge-aware attention times `knowledgeWeight`.
// Before each epoch TransR trains on sampled triples (moving the entity and item ego rows it shares with the
// recommender) and the attention is recomputed, as KGAT alternates its two losses and refreshes attention.

import { SeededRandom } from '@strata/shared';
import type { UserSplit } from '../data/interactions.js';
import type { PropagationGraph } from '../lightgcn/graph-bpr-trainer.js';
import { userItemEdges } from '../lightgcn/lightgcn-graph.js';
import { SparseAdjacency } from '../lightgcn/sparse-adjacency.js';
import type { CollaborativeKnowledgeGraph } from './collaborative-knowledge-graph.js';
import type { CentralizedKgatOptions } from './kgat-task-options.js';
import { TransR } from './transr.js';

export class KgatGraph implements PropagationGraph {
  readonly numNodes: number;
  readonly itemNodes: Int32Array;
  readonly transR: TransR;
  private readonly userItem: { rows: Int32Array; columns: Int32Array; weights: Float32Array };
  private readonly random: SeededRandom;
  private fixed: { forward: SparseAdjacency; backward: SparseAdjacency } | null = null;
  /** Mean TransR loss of the last epoch. */
  lastKnowledgeLoss = 0;

  constructor(
    split: UserSplit,
    readonly ckg: CollaborativeKnowledgeGraph,
    readonly options: CentralizedKgatOptions,
    seed: number,
  ) {
    this.numNodes = ckg.numNodes;
    this.itemNodes = ckg.itemNodes;
    this.userItem = userItemEdges(split, ckg.itemNodes);
    this.random = new SeededRandom(seed).fork('kgat');
    this.transR = new TransR(ckg.numNodes, ckg.numRelations, options.dim, options.relationDim, this.random.fork('transr'), options.initStd);
  }

  epochAdjacency(_epoch: number, ego: Float32Array): { forward: SparseAdjacency; backward: SparseAdjacency } {
    const o = this.options;
    if (!o.knowledgeGraph || this.ckg.heads.length === 0 || o.knowledgeWeight === 0) {
      if (!this.fixed) {
        const a = SparseAdjacency.fromEdges(this.numNodes, this.userItem.rows, this.userItem.columns, this.userItem.weights);
        this.fixed = { forward: a, backward: a };
      }
      return this.fixed;
    }
    this.lastKnowledgeLoss = this.transR.trainEpoch(
      ego,
      this.ckg,
      this.ckg.knowledgeNodes,
      o.kgTriplesPerEpoch,
      o.kgBatchSize,
      o.kgLearningRate,
      o.kgReg,
      this.random,
    );
    return this.adjacency(this.transR.attention(ego, this.ckg, this.numNodes));
  }

  /** The user-item edges and the knowledge edges weighted knowledgeWeight × attention. */
  adjacency(attention: Float32Array): { forward: SparseAdjacency; backward: SparseAdjacency } {
    const ui = this.userItem;
    const kg = this.ckg;
    const n = ui.rows.length + kg.heads.length;
    const rows = new Int32Array(n);
    const columns = new Int32Array(n);
    const weights = new Float32Array(n);
    rows.set(ui.rows);
    columns.set(ui.columns);
    weights.set(ui.weights);
    rows.set(kg.heads, ui.rows.length);
    columns.set(kg.tails, ui.rows.length);
    for (let t = 0; t < kg.heads.length; t++) weights[ui.rows.length + t] = this.options.knowledgeWeight * attention[t];
    const forward = SparseAdjacency.fromEdges(this.numNodes, rows, columns, weights);
    return { forward, backward: forward.transpose() };
  }
}
