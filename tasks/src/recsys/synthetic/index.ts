// Synthetic recommender data with planted latent structure (scale tests, checkable accuracy).
export { generateSyntheticRecsysData, type SyntheticRecsysData } from './synthetic-recsys-data.js';
export {
  DEFAULT_SYNTHETIC_RECSYS_OPTIONS,
  resolveSyntheticRecsysOptions,
  type SyntheticRecsysOptions,
} from './synthetic-options.js';
export { generateSyntheticSequences } from './synthetic-sequences.js';
export type { SyntheticSequenceOptions } from './synthetic-sequences.js';
