// Centralized LightGCN: the propagation trainer on the normalised user-item graph, with the options of
// `strata train recsys --model lightgcn`; the baseline federated LightGCN is compared against.

import type { UserSplit } from '../data/interactions.js';
import { GraphBprTrainer } from './graph-bpr-trainer.js';
import { lightGcnGraph } from './lightgcn-graph.js';
import { resolveCentralizedLightGcnOptions } from './lightgcn-task-options.js';

/** A trainer for `split` with `options` (validated against centralizedLightGcnOptionsSchema) and `seed`. */
export function centralizedLightGcn(split: UserSplit, options: Readonly<Record<string, unknown>>, seed: number): GraphBprTrainer {
  return new GraphBprTrainer(split, lightGcnGraph(split), { ...resolveCentralizedLightGcnOptions(options), seed });
}
