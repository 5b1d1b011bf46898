// recsys/kgat: federated KGAT. The user-item part is federated LightGCN (interactions and user embeddings stay
// on devices; item rows and item-side neighbour sums federate); the knowledge graph's part of every item
// layer is computed at the cloud from the public KG (knowledge-terms.ts) and sent in the model as
// `item_knowledge_k`, which devices read and never send. With knowledgeGraph false it is federated LightGCN.

import type { ModelParams } from '@strata/shared';
import { dense } from '@strata/shared';
import type { Interactions, UserSplit } from '../data/interactions.js';
import type { KnowledgeGraph } from '../data/knowledge-graph.js';
import { splitPerUser } from '../data/split-per-user.js';
import { itemKnowledgeName } from '../lightgcn/lightgcn-model-tensors.js';
import { LightGcnTask } from '../lightgcn/lightgcn-task.js';
import { collaborativeKnowledgeGraph, type CollaborativeKnowledgeGraph } from './collaborative-knowledge-graph.js';
import { knowledgeTerms } from './knowledge-terms.js';
import { resolveKgatTaskOptions, type KgatTaskOptions } from './kgat-task-options.js';

export class KgatTask extends LightGcnTask {
  readonly ckg: CollaborativeKnowledgeGraph;
  private knowledge: Float32Array[] | null = null;

  constructor(
    data: Interactions,
    split: UserSplit,
    readonly graph: KnowledgeGraph,
    readonly kgatOptions: KgatTaskOptions,
  ) {
    super(data, split, kgatOptions, 'recsys/kgat');
    this.ckg = collaborativeKnowledgeGraph(split, graph, kgatOptions.minEntityDegree);
  }

  static fromKnowledgeGraph(data: Interactions, graph: KnowledgeGraph, options: Readonly<Record<string, unknown>> = {}): KgatTask {
    const o = resolveKgatTaskOptions(options);
    return new KgatTask(data, splitPerUser(data, { seed: o.seed, testFraction: o.testFraction }), graph, o);
  }

  override describe(): Record<string, unknown> {
    const base = super.describe();
    return {
      ...base,
      options: { ...this.kgatOptions, ks: [...this.kgatOptions.ks] },
      knowledgeGraph: {
        source: this.graph.source,
        triples: this.ckg.heads.length / 2,
        nodes: this.ckg.numNodes,
        relations: this.ckg.numRelations,
      },
    };
  }

  /** LightGCN's tensors, and the knowledge part of each item layer (TransR trained here, at the cloud). */
  override initModel(): ModelParams {
    const model = super.initModel();
    if (!this.kgatOptions.knowledgeGraph) return model;
    this.knowledge ??= knowledgeTerms(this.ckg, this.kgatOptions);
    this.knowledge.forEach((values, l) =>
      model.set(itemKnowledgeName(l + 1), dense([this.split.numItems, this.options.dim], values.slice())),
    );
    return model;
  }
}
