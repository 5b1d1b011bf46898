// Interaction data: shapes, loaders for every supported file format, and the per-user split.
export type * from './interactions.js';
export type * from './interaction-source.js';
export { loadInteractions, ml100kSource } from './load-interactions.js';
export { loadRecboleAtomic } from './load-recbole-atomic.js';
export { loadMovieLensUData } from './load-movielens-udata.js';
export { loadMovieLensDat } from './load-movielens-dat.js';
export { loadMovieLensCsv } from './load-movielens-csv.js';
export { loadDelimited } from './load-delimited.js';
export { splitPerUser, groupItemsByUser } from './split-per-user.js';
export type { SplitOptions } from './split-per-user.js';
export { resolveDataDir, findRepoRoot } from './data-dir.js';
export { interactionSource, loadConfiguredInteractions } from './interaction-source-config.js';
export type { KnowledgeGraph } from './knowledge-graph.js';
export { loadRecboleKnowledgeGraph } from './load-recbole-kg.js';
export type { RecboleKgSource } from './load-recbole-kg.js';
export { loadKgatInteractions, loadKgatKnowledgeGraph } from './load-kgat-files.js';
export { loadConfiguredKnowledgeGraph } from './knowledge-graph-config.js';
