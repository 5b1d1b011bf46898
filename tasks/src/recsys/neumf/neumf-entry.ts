// `--task recsys/neumf`: federated NeuMF on the configured interactions (TensorFlow.js, native backend when
// installed); baselines: centralized NeuMF on the same split, and popularity. TensorFlow.js is imported when
// a NeuMF run starts, not with the registry: it costs a process that never runs NeuMF over a second.

import { loadConfiguredInteractions } from '../data/interaction-source-config.js';
import { popularityBaseline } from '../popularity.js';
import type { TaskEntry } from '../../registry/task-entry.js';
import { neumfConfigSchema, type NeuMFConfig } from './neumf-config.js';
import { NeuMFTask } from './neumf-task.js';
import { neumfOptionsSchema } from './neumf-task-options.js';

export const neuMfEntry: TaskEntry = {
  name: 'recsys/neumf',
  summary: 'federated NeuMF (GMF + MLP towers): user embeddings stay on devices, item rows sparse, MLP weights dense',
  headlineMetrics: ['recall@20', 'ndcg@20'],
  options: neumfOptionsSchema,
  async create(config) {
    const { initTfjsBackend } = await import('../../tfjs/tfjs-backend.js');
    const backend = await initTfjsBackend();
    const task = NeuMFTask.fromInteractions(loadConfiguredInteractions(config.data), { ...config.taskOptions, seed: config.seed });
    return { task, environment: { tfjsBackend: backend.backend, tfjsNative: backend.native } };
  },
  async baselines(config, progress) {
    const { initTfjsBackend } = await import('../../tfjs/tfjs-backend.js');
    const { NeuMFCentralizedTrainer } = await import('./neumf-centralized-trainer.js');
    await initTfjsBackend();
    const task = NeuMFTask.fromInteractions(loadConfiguredInteractions(config.data), { ...config.taskOptions, seed: config.seed });
    // The same model as the federated task's (its options may change the towers or the loss).
    const model = Object.fromEntries(Object.keys(neumfConfigSchema.shape).map((key) => [key, task.options[key as keyof NeuMFConfig]]));
    const trainer = new NeuMFCentralizedTrainer(task.split, { seed: config.seed, config: model });
    progress.start(trainer.epochs, 'centralized NeuMF (tfjs)');
    const result = trainer.train((p) => progress.tick(`loss ${p.loss.toFixed(4)}`));
    return { 'centralized NeuMF': result.metrics, popularity: popularityBaseline(task.split) };
  },
};
