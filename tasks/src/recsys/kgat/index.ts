// KGAT: the collaborative knowledge graph, TransR and its attention, the centralized trainer, the federated task.
export { collaborativeKnowledgeGraph } from './collaborative-knowledge-graph.js';
export type { CollaborativeKnowledgeGraph } from './collaborative-knowledge-graph.js';
export { TransR } from './transr.js';
export type { TransRTriples } from './transr.js';
export { KgatGraph } from './kgat-graph.js';
export { centralizedKgat } from './centralized-kgat.js';
export {
  centralizedKgatOptionsSchema,
  kgatOptionsSchema,
  resolveCentralizedKgatOptions,
  resolveKgatTaskOptions,
} from './kgat-task-options.js';
export type { CentralizedKgatOptions, KgatTaskOptions } from './kgat-task-options.js';
export { knowledgeTerms } from './knowledge-terms.js';
export { KgatTask } from './kgat-task.js';
export { kgatEntry } from './kgat-entry.js';
