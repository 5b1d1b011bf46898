// LightGCN: the propagation trainer shared with KGAT, the user-item graph, and the federated task.
export { SparseAdjacency } from './sparse-adjacency.js';
export { GraphBprTrainer } from './graph-bpr-trainer.js';
export type { GraphBprOptions, GraphEpochProgress, PropagationGraph } from './graph-bpr-trainer.js';
export { GraphEmbeddingModel } from './graph-embedding-model.js';
export { itemDegrees, lightGcnGraph, userItemEdges } from './lightgcn-graph.js';
export { LightGcnTask } from './lightgcn-task.js';
export { LightGcnDevice } from './lightgcn-device.js';
export {
  itemFinalEmbeddings,
  itemKnowledgeName,
  itemLayerName,
  ITEM_EMBEDDING as LIGHTGCN_ITEM_EMBEDDING,
  readItemTables,
} from './lightgcn-model-tensors.js';
export type { ItemTables } from './lightgcn-model-tensors.js';
export {
  centralizedLightGcnOptionsSchema,
  LIGHTGCN_ROUND_OPTIONS,
  lightGcnOptionsSchema,
  resolveCentralizedLightGcnOptions,
  resolveLightGcnTaskOptions,
} from './lightgcn-task-options.js';
export type { CentralizedLightGcnOptions, LightGcnTaskOptions } from './lightgcn-task-options.js';
export { centralizedLightGcn } from './centralized-lightgcn.js';
export { lightGcnEntry } from './lightgcn-entry.js';
export { PropagationKernel } from './propagation-kernel.js';
