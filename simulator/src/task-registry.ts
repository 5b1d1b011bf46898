// The tasks the CLI can run, by name: how to build each from a run configuration, which metrics head its
// tables, and its baselines for the final comparison. Adding a task to the CLI means adding an entry here.

import { resolve } from 'node:path';
import { ConfigError, type FederatedTask } from '@strata/shared';
import {
  BprMfTask, CentralizedBprTrainer, NeuMFCentralizedTrainer, NeuMFTask, Popularity, evaluateRanking, initTfjsBackend,
  loadInteractions, ml100kSource, type InteractionSource, type Interactions, type UserSplit,
} from '@strata/tasks';
import type { DataSourceConfig, RunConfig } from './config/run-config.js';
import { radianceTaskEntry } from './commands/train-radiance.js';

export interface BaselineProgress {
  start(total: number, detail: string): void;
  tick(detail?: string): void;
}

export interface TaskEntry {
  readonly name: string;
  readonly summary: string;
  /** Metrics shown in the per-round and final tables. */
  readonly headlineMetrics: readonly string[];
  create(config: RunConfig): Promise<{ task: FederatedTask; environment: Record<string, unknown> }>;
  /** Named baseline results (e.g. centralized training of the same model, popularity). */
  baselines?(config: RunConfig, progress: BaselineProgress): Promise<Record<string, Record<string, number>>>;
}

/** The interaction source the data flags describe (default: the shared ml-100k). */
export function interactionSource(data: DataSourceConfig): InteractionSource {
  if (!data.path) {
    if (data.format !== 'recbole') throw new ConfigError(`--format ${data.format} needs --data <file>`);
    return { ...ml100kSource(), ...(data.minRating !== undefined ? { minRating: data.minRating } : {}) };
  }
  const path = resolve(data.path);
  const minRating = data.minRating !== undefined ? { minRating: data.minRating } : {};
  if (data.format !== 'delimited') return { format: data.format, path, ...minRating };
  const [user, item, rating, timestamp] = data.columns ?? [];
  if (!data.delimiter || user === undefined || item === undefined) {
    throw new ConfigError('--format delimited needs --delimiter and --columns user,item[,rating[,timestamp]]');
  }
  return {
    format: 'delimited', path, delimiter: data.delimiter, header: data.header ?? false, user, item,
    ...(rating !== undefined ? { rating } : {}), ...(timestamp !== undefined ? { timestamp } : {}), ...minRating,
  };
}

const loaded = new Map<string, Interactions>();
function loadOnce(data: DataSourceConfig): Interactions {
  const key = JSON.stringify(data);
  if (!loaded.has(key)) loaded.set(key, loadInteractions(interactionSource(data)));
  return loaded.get(key)!;
}

/**
 * `--task-option` keys a task accepts: its device training options (defaultOptions) and the construction
 * options it names; anything else is a typo the user should hear about.
 */
function checkTaskOptions(task: FederatedTask, options: Record<string, number>, constructionKeys: readonly string[]): void {
  const known = new Set([...Object.keys(task.defaultOptions()), ...constructionKeys]);
  const unknown = Object.keys(options).filter((key) => !known.has(key));
  if (unknown.length > 0) {
    throw new ConfigError(`unknown --task-option ${unknown.join(', ')} for ${task.id} (options: ${[...known].join(', ')})`);
  }
}

function bprMfTask(config: RunConfig): BprMfTask {
  const dim = config.taskOptions.dim;
  return BprMfTask.fromInteractions(loadOnce(config.data), { seed: config.seed, ...(dim !== undefined ? { dim } : {}) });
}

const bprMf: TaskEntry = {
  name: 'recsys/bpr-mf',
  summary: 'federated BPR matrix factorisation: a user\'s embedding stays on the device, item rows federate sparsely',
  headlineMetrics: ['recall@20', 'ndcg@20'],
  async create(config) {
    const task = bprMfTask(config);
    checkTaskOptions(task, config.taskOptions, ['dim']);
    return { task, environment: {} };
  },
  async baselines(config, progress) {
    const task = bprMfTask(config);
    const trainer = new CentralizedBprTrainer(task.split, { seed: config.seed, dim: task.options.dim });
    progress.start(trainer.options.epochs, 'centralized BPR-MF');
    const model = await trainer.train((p) => progress.tick(`loss ${p.loss.toFixed(4)}, ${Math.round(p.triplesPerSecond)} triples/s`));
    return {
      'centralized BPR-MF': evaluateRanking(task.split, model.scoreUser),
      popularity: popularity(task.split),
    };
  },
};

function popularity(split: UserSplit): Record<string, number> {
  return evaluateRanking(split, new Popularity(split).scoreUser);
}

const neuMf: TaskEntry = {
  name: 'recsys/neumf',
  summary: 'federated NeuMF (GMF + MLP towers): user embeddings stay on devices, item rows sparse, MLP weights dense',
  headlineMetrics: ['recall@20', 'ndcg@20'],
  async create(config) {
    const backend = await initTfjsBackend();
    const task = NeuMFTask.fromInteractions(loadOnce(config.data), { seed: config.seed });
    checkTaskOptions(task, config.taskOptions, []);
    return { task, environment: { tfjsBackend: backend.backend, tfjsNative: backend.native } };
  },
  async baselines(config, progress) {
    await initTfjsBackend();
    const task = NeuMFTask.fromInteractions(loadOnce(config.data), { seed: config.seed });
    const trainer = new NeuMFCentralizedTrainer(task.split, { seed: config.seed });
    progress.start(trainer.epochs, 'centralized NeuMF (tfjs)');
    const result = trainer.train((p) => progress.tick(`loss ${p.loss.toFixed(4)}`));
    return { 'centralized NeuMF': result.metrics, popularity: popularity(task.split) };
  },
};

const registry = new Map<string, TaskEntry>([bprMf, neuMf, radianceTaskEntry].map((entry) => [entry.name, entry]));

export function taskNames(): string[] {
  return [...registry.keys()];
}

export function findTask(name: string): TaskEntry {
  const entry = registry.get(name);
  if (!entry) throw new ConfigError(`unknown task "${name}" (tasks: ${taskNames().join(', ')})`);
  return entry;
}
