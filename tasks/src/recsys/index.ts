// Recommender tasks: interaction data, ranking evaluation, baselines and models.
export * from './data/index.js';
export * from './evaluation/index.js';
export { Popularity, popularityBaseline } from './popularity.js';
export * from './bpr-mf/index.js';
export * from './device-data/index.js';
export * from './neumf/index.js';
export * from './sasrec/index.js';
export * from './engagement-game/index.js';
export * from './lightgcn/index.js';
export * from './kgat/index.js';
export * from './synthetic/index.js';
export * from './lird/index.js';
