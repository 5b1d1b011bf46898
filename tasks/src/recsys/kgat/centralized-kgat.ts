// Centralized KGAT: the propagation trainer over the collaborative knowledge graph with TransR and attention
// refreshed every epoch, with the options of `strata train recsys --model kgat`; the federated form's baseline.

import type { UserSplit } from '../data/interactions.js';
import type { KnowledgeGraph } from '../data/knowledge-graph.js';
import { GraphBprTrainer } from '../lightgcn/graph-bpr-trainer.js';
import { collaborativeKnowledgeGraph } from './collaborative-knowledge-graph.js';
import { KgatGraph } from './kgat-graph.js';
import { resolveCentralizedKgatOptions } from './kgat-task-options.js';

/** A trainer for `split` and `graph` with `options` (validated against centralizedKgatOptionsSchema) and `seed`. */
export function centralizedKgat(
  split: UserSplit,
  graph: KnowledgeGraph,
  options: Readonly<Record<string, unknown>>,
  seed: number,
): GraphBprTrainer {
  const o = resolveCentralizedKgatOptions(options);
  const ckg = collaborativeKnowledgeGraph(split, graph, o.minEntityDegree);
  return new GraphBprTrainer(split, new KgatGraph(split, ckg, o, seed), { ...o, seed });
}
