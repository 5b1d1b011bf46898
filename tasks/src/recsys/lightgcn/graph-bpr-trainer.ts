// Centralized training of a propagation recommender (LightGCN; KGAT over its collaborative knowledge graph):
// ego embeddings of every node propagate `layers` times through a sparse adjacency, a node's final embedding
// is the mean of its layers, and mini-batches of BPR triples train the ego table with Adam. The gradient
// flows back through the same propagation (the transposed adjacency), so every node a batch reaches learns.

import { SeededRandom } from '@strata/shared';
import type { UserSplit } from '../data/interactions.js';
import { evaluateRanking } from '../evaluation/ranking-evaluation.js';
import { UserItemIndex } from '../bpr-mf/user-item-index.js';
import { AdamState, TFJS_ADAM } from '../neumf/adam-state.js';
import { GraphEmbeddingModel } from './graph-embedding-model.js';
import { PropagationKernel } from './propagation-kernel.js';
import type { SparseAdjacency } from './sparse-adjacency.js';

export interface GraphBprOptions {
  readonly dim: number;
  /** Propagation layers K (the final embedding averages layers 0..K). */
  readonly layers: number;
  readonly epochs: number;
  /** BPR triples per Adam step. */
  readonly batchSize: number;
  readonly learningRate: number;
  /** The learning rate is multiplied by this after every epoch (1: constant). */
  readonly learningRateDecay: number;
  /** L2 weight on the ego rows of each triple (averaged over the batch). */
  readonly reg: number;
  readonly initStd: number;
  readonly seed: number;
  /** Evaluate every this many epochs (0: only after the last). */
  readonly evaluateEvery: number;
}

/** The graph a trainer propagates over: users are nodes 0..numUsers-1, items wherever `itemNodes` says. */
export interface PropagationGraph {
  readonly numNodes: number;
  readonly itemNodes: Int32Array;
  /**
   * The adjacency of an epoch, given the ego table before it (a fixed matrix for LightGCN; KGAT trains its
   * knowledge-graph embedding on `ego` here and recomputes attention). Returns the matrix and its transpose.
   */
  epochAdjacency(epoch: number, ego: Float32Array): { forward: SparseAdjacency; backward: SparseAdjacency };
}

export interface GraphEpochProgress {
  readonly epoch: number;
  readonly epochs: number;
  /** Mean BPR loss per triple. */
  readonly loss: number;
  readonly triples: number;
  readonly seconds: number;
  readonly triplesPerSecond: number;
  readonly metrics?: Record<string, number>;
}

export class GraphBprTrainer {
  constructor(
    readonly split: UserSplit,
    readonly graph: PropagationGraph,
    readonly options: GraphBprOptions,
  ) {}

  /** Trains for `options.epochs` and returns the final embeddings; `onEpoch` sees every epoch's figures. */
  async train(onEpoch?: (progress: GraphEpochProgress) => void): Promise<GraphEmbeddingModel> {
    const o = this.options;
    const d = o.dim;
    const n = this.graph.numNodes;
    const random = new SeededRandom(o.seed).fork('graph-bpr');
    const ego = new Float32Array(n * d);
    const init = random.fork('init');
    for (let k = 0; k < ego.length; k++) ego[k] = init.normal() * o.initStd;
    const adam = new AdamState(ego.length);
    const grad = new Float32Array(n * d);
    const kernel = new PropagationKernel(n, d, o.layers);
    const index = UserItemIndex.fromSplit(this.split);
    const numPairs = index.offsets[this.split.numUsers];
    const pairUsers = new Int32Array(numPairs);
    for (let u = 0; u < this.split.numUsers; u++) pairUsers.fill(u, index.offsets[u], index.offsets[u + 1]);
    const order = Int32Array.from({ length: numPairs }, (_, p) => p);
    const itemNodes = this.graph.itemNodes;
    const users = new Int32Array(o.batchSize);
    const positives = new Int32Array(o.batchSize);
    const negatives = new Int32Array(o.batchSize);
    let step = 0;
    let forward: SparseAdjacency | null = null;

    for (let epoch = 1; epoch <= o.epochs; epoch++) {
      await new Promise((resolve) => setImmediate(resolve));
      const start = performance.now();
      const adjacency = this.graph.epochAdjacency(epoch, ego);
      forward = adjacency.forward;
      random.shuffle(order);
      const learningRate = o.learningRate * o.learningRateDecay ** (epoch - 1);
      let loss = 0;
      for (let b = 0; b < numPairs; b += o.batchSize) {
        const size = Math.min(numPairs, b + o.batchSize) - b;
        for (let t = 0; t < size; t++) {
          const pair = order[b + t];
          users[t] = pairUsers[pair];
          positives[t] = itemNodes[index.items[pair]];
          negatives[t] = itemNodes[index.sampleNegative(pairUsers[pair], random)];
        }
        const batch = (a: Int32Array): Int32Array => a.subarray(0, size);
        loss +=
          size * kernel.lossAndGradient(ego, forward, adjacency.backward, batch(users), batch(positives), batch(negatives), o.reg, grad);
        adam.update(ego, grad, 0, ego.length, ++step, { ...TFJS_ADAM, learningRate });
      }
      const seconds = (performance.now() - start) / 1000;
      const evaluate = epoch === o.epochs || (o.evaluateEvery > 0 && epoch % o.evaluateEvery === 0);
      onEpoch?.({
        epoch,
        epochs: o.epochs,
        loss: loss / numPairs,
        triples: numPairs,
        seconds,
        triplesPerSecond: numPairs / seconds,
        metrics: evaluate ? evaluateRanking(this.split, this.finalModel(kernel, forward, ego).scoreUser) : undefined,
      });
    }
    return this.finalModel(kernel, forward ?? this.graph.epochAdjacency(1, ego).forward, ego);
  }

  private finalModel(kernel: PropagationKernel, forward: SparseAdjacency, ego: Float32Array): GraphEmbeddingModel {
    const final = new Float32Array(ego.length);
    kernel.propagate(forward, ego, final);
    return new GraphEmbeddingModel(this.options.dim, final, this.graph.itemNodes);
  }
}
