// `--task recsys/kgat`: federated KGAT on the configured interactions and their knowledge graph (ml-100k's by
// default); baselines: centralized KGAT on the same split, and popularity.

import type { RunConfig } from '@strata/shared';
import { loadConfiguredInteractions } from '../data/interaction-source-config.js';
import { loadConfiguredKnowledgeGraph } from '../data/knowledge-graph-config.js';
import { evaluateRanking } from '../evaluation/ranking-evaluation.js';
import { popularityBaseline } from '../popularity.js';
import type { TaskEntry } from '../../registry/task-entry.js';
import { requireLosslessDownlink } from '../lightgcn/lossless-downlink.js';
import { centralizedKgat } from './centralized-kgat.js';
import { KgatTask } from './kgat-task.js';
import { kgatOptionsSchema } from './kgat-task-options.js';

function kgatTask(config: RunConfig): KgatTask {
  const data = loadConfiguredInteractions(config.data);
  return KgatTask.fromKnowledgeGraph(data, loadConfiguredKnowledgeGraph(config.data, data), { ...config.taskOptions, seed: config.seed });
}

export const kgatEntry: TaskEntry = {
  name: 'recsys/kgat',
  summary:
    'federated KGAT: user-item edges stay on devices as in LightGCN; the public knowledge graph is trained at the cloud (TransR, attention)',
  headlineMetrics: ['recall@20', 'ndcg@20'],
  options: kgatOptionsSchema,
  async create(config) {
    requireLosslessDownlink(config, this.name);
    return { task: kgatTask(config), environment: {} };
  },
  async baselines(config, progress) {
    const task = kgatTask(config);
    const o = task.kgatOptions;
    // The federated task's device settings (initStd, reg, learning rates, TransR's at the cloud) are not the
    // centralized trainer's.
    const { dim, layers, knowledgeGraph, minEntityDegree, knowledgeWeight, relationDim, kgReg, kgBatchSize, kgTriplesPerEpoch } = o;
    const centralizedEpochs = o.centralizedEpochs;
    const trainer = centralizedKgat(
      task.split,
      task.graph,
      {
        dim,
        layers,
        knowledgeGraph,
        minEntityDegree,
        knowledgeWeight,
        relationDim,
        kgReg,
        kgBatchSize,
        kgTriplesPerEpoch,
        epochs: centralizedEpochs,
      },
      config.seed,
    );
    progress.start(centralizedEpochs, 'centralized KGAT');
    const model = await trainer.train((p) => progress.tick(`loss ${p.loss.toFixed(4)}, ${Math.round(p.triplesPerSecond)} triples/s`));
    return {
      'centralized KGAT': evaluateRanking(task.split, model.scoreUser),
      popularity: popularityBaseline(task.split),
    };
  },
};
