// Recommender tasks: interaction data, ranking evaluation, baselines and models.
export * from './data/index.js';
export * from './evaluation/index.js';
export { Popularity } from './popularity.js';
