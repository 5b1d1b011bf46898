// NeuMF (He et al. 2017; GMF + MLP towers): configuration, tensor names, the tfjs model (centralized), the
// hand-written kernel (federated devices, evaluation), the centralized trainer and the federated task.
export { DEFAULT_NEUMF_CONFIG, neumfConfigSchema, resolveNeuMFConfig } from './neumf-config.js';
export type { NeuMFConfig, NeuMFLoss } from './neumf-config.js';
export {
  GMF_ITEM_EMBEDDING,
  GMF_USER_EMBEDDING,
  MLP_ITEM_EMBEDDING,
  MLP_USER_EMBEDDING,
  OUTPUT_BIAS,
  OUTPUT_KERNEL,
  denseWeightsView,
  initNeuMFParams,
  initUserEmbeddings,
  itemTablesView,
  mlpBiasName,
  mlpKernelName,
  neumfDenseTensors,
  userTablesView,
} from './neumf-params.js';
export type { NeuMFInitOptions } from './neumf-params.js';
export type { NeuMFBatch, PairwiseBatch, PointwiseBatch } from './neumf-batch.js';
export { NeuMFTfjsModel } from './neumf-tfjs-model.js';
export { NeuMFKernel, denseArrays } from './neumf-kernel.js';
export type { EmbeddingTables, NeuMFDenseWeights } from './neumf-kernel.js';
export { NeuMFKernelTrainer } from './neumf-kernel-trainer.js';
export type { KernelTrainerOptions, NeuMFTrainable } from './neumf-kernel-trainer.js';
export { NegativeSampler } from './negative-sampler.js';
export { TrainingSamples } from './training-samples.js';
export { DEFAULT_NEUMF_TRAINING, NeuMFCentralizedTrainer, evaluateNeuMF } from './neumf-centralized-trainer.js';
export type { NeuMFEngine, NeuMFEpochProgress, NeuMFTrainingOptions, NeuMFTrainingResult } from './neumf-centralized-trainer.js';
export { DEFAULT_NEUMF_TASK_OPTIONS, NEUMF_ROUND_OPTIONS, neumfOptionsSchema, resolveNeuMFTaskOptions } from './neumf-task-options.js';
export type { NeuMFTaskOptions } from './neumf-task-options.js';
export { NeuMFDevice } from './neumf-device.js';
export { NeuMFTask } from './neumf-task.js';
export { neuMfEntry } from './neumf-entry.js';
