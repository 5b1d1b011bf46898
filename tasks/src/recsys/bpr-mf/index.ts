// BPR matrix factorisation: the training kernel, the centralized trainer, and the federated task.
export { allocateRowState, BprKernel, BPR_OPTIMIZERS } from './bpr-kernel.js';
export type { BprOptimizer, BprHyperparameters, BprTables } from './bpr-kernel.js';
export { BprMfModel, scoreItems } from './bpr-mf-model.js';
export { CentralizedBprTrainer } from './centralized-bpr-trainer.js';
export type { BprEpochProgress } from './centralized-bpr-trainer.js';
export { DEFAULT_CENTRALIZED_BPR_OPTIONS, LEAVE_ONE_OUT_BPR_OPTIONS, resolveCentralizedBprOptions } from './centralized-bpr-options.js';
export type { CentralizedBprOptions } from './centralized-bpr-options.js';
export { UserItemIndex } from './user-item-index.js';
export { BprMfTask } from './bpr-mf-task.js';
export { BprMfDevice, ITEM_BIAS, ITEM_EMBEDDING } from './bpr-mf-device.js';
export { BPR_MF_ROUND_OPTIONS, DEFAULT_BPR_MF_TASK_OPTIONS, bprMfOptionsSchema, resolveBprMfTaskOptions } from './bpr-mf-task-options.js';
export { bprMfEntry } from './bpr-mf-entry.js';
export type { BprMfTaskOptions } from './bpr-mf-task-options.js';
export { choosePseudoItems, PAD_DELTAS, PAD_RANDOMS, paddingRandom, pseudoItemRows } from './item-padding.js';
export type { PadDelta, PadRandom, PseudoItemRows, UniformIntegers } from './item-padding.js';
