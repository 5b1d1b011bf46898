// SASRec (Kang & McAuley 2018): options, parameters, the hand-written kernel, the centralized trainer and the
// federated task (one device per user's sequence).
export { resolveSasrecOptions, SASREC_ROUND_OPTIONS, sasrecOptionsSchema } from './sasrec-options.js';
export type { SasrecOptions } from './sasrec-options.js';
export { denseLayout, initSasrecWeights, SASREC_ITEM_EMBEDDING, sasrecModelParams } from './sasrec-params.js';
export type { DenseLayout, SasrecShape, SasrecWeights } from './sasrec-params.js';
export { SasrecGradients, SasrecKernel } from './sasrec-kernel.js';
export { recentWindow, SasrecModel } from './sasrec-model.js';
export { sampleNegatives, sequenceWindows } from './sasrec-sequence-samples.js';
export type { SequenceSamples, SequenceWindows } from './sasrec-sequence-samples.js';
export { SasrecCentralizedTrainer } from './sasrec-centralized-trainer.js';
export type { SasrecEpochProgress } from './sasrec-centralized-trainer.js';
export { SasrecDevice, sasrecWorkspace } from './sasrec-device.js';
export type { SasrecWorkspace } from './sasrec-device.js';
export { SasrecTask } from './sasrec-task.js';
export { sasrecEntry } from './sasrec-entry.js';
