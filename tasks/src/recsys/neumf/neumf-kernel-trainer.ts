// Minibatch training of NeuMF with the hand-written kernel and Adam, in place on the tables and dense
// weights it is given: a device trains its local copy of the model with it (user tables of one row, item
// tables holding only the items it touches), and the centralized trainer's `kernel` engine trains the full
// tables. The mean loss and its gradients are NeuMFTfjsModel's; the step differs in one way: embedding
// rows update lazily (only the rows the batch touched move, LazyAdam), where tf.train.adam moves every row
// by its momentum on every step. That keeps a step's cost proportional to the batch.

import { ConfigError } from '@strata/shared';
import type { NeuMFConfig } from './neumf-config.js';
import type { NeuMFBatch } from './neumf-batch.js';
import { AdamState, TFJS_ADAM, type AdamHyper } from './adam-state.js';
import { denseArrays, NeuMFKernel, type EmbeddingTables, type NeuMFDenseWeights } from './neumf-kernel.js';

/** The tensors a kernel trainer updates in place. */
export interface NeuMFTrainable {
  readonly users: EmbeddingTables;
  readonly items: EmbeddingTables;
  readonly dense: NeuMFDenseWeights;
}

export interface KernelTrainerOptions {
  /** Adam step size of the dense weights, and of the embeddings unless set below. */
  readonly learningRate: number;
  readonly userLearningRate?: number;
  readonly itemLearningRate?: number;
  /**
   * FedProx's μ (Li et al. 2020): adds (μ/2)·|w − w₀|² over the shared weights (dense every step, item
   * rows on the steps that touch them; never the user's) to the loss, w₀ being their values when the
   * trainer was made. 0 (default) adds nothing.
   */
  readonly proximalMu?: number;
}

export class NeuMFKernelTrainer {
  private readonly kernel: NeuMFKernel;
  private readonly grads: { users: EmbeddingTables; items: EmbeddingTables; dense: NeuMFDenseWeights };
  private readonly adam: { users: EmbeddingTables<AdamState>; items: EmbeddingTables<AdamState>; dense: AdamState[] };
  private readonly hyper: { users: AdamHyper; items: AdamHyper; dense: AdamHyper };
  /** Rows touched by the current batch, each once. */
  private readonly touched = { users: new RowSet(), items: new RowSet() };
  private readonly proximalMu: number;
  /** The shared weights at construction (the proximal term's anchor), when proximalMu > 0. */
  private readonly anchor: { items: EmbeddingTables; dense: Float32Array[] } | null;
  /** Adam steps taken by this trainer. */
  private t = 0;

  constructor(
    readonly config: NeuMFConfig,
    readonly params: NeuMFTrainable,
    options: KernelTrainerOptions,
  ) {
    this.hyper = {
      users: { ...TFJS_ADAM, learningRate: options.userLearningRate ?? options.learningRate },
      items: { ...TFJS_ADAM, learningRate: options.itemLearningRate ?? options.learningRate },
      dense: { ...TFJS_ADAM, learningRate: options.learningRate },
    };
    this.grads = {
      users: zerosLike(params.users),
      items: zerosLike(params.items),
      dense: {
        kernels: params.dense.kernels.map((k) => new Float32Array(k.length)),
        biases: params.dense.biases.map((b) => new Float32Array(b.length)),
        outKernel: new Float32Array(params.dense.outKernel.length),
        outBias: new Float32Array(1),
      },
    };
    this.adam = {
      users: { gmf: new AdamState(params.users.gmf.length), mlp: new AdamState(params.users.mlp.length) },
      items: { gmf: new AdamState(params.items.gmf.length), mlp: new AdamState(params.items.mlp.length) },
      dense: denseArrays(params.dense).map((a) => new AdamState(a.length)),
    };
    this.proximalMu = options.proximalMu ?? 0;
    if (!(this.proximalMu >= 0)) throw new ConfigError(`proximalMu must be >= 0, got ${this.proximalMu}`);
    this.anchor =
      this.proximalMu > 0
        ? {
            items: { gmf: params.items.gmf.slice(), mlp: params.items.mlp.slice() },
            dense: denseArrays(params.dense).map((a) => a.slice()),
          }
        : null;
    this.kernel = new NeuMFKernel(config, params.dense, this.grads.dense);
  }

  /** One Adam step on the batch's mean loss; returns that loss (before the step). */
  step(batch: NeuMFBatch): number {
    const loss = this.accumulate(batch);
    this.t++;
    const { gmfDim, mlpEmbeddingDim } = this.config;
    for (const side of ['users', 'items'] as const) {
      const params = this.params[side];
      const grads = this.grads[side];
      const adam = this.adam[side];
      const anchor = side === 'items' ? this.anchor?.items : undefined;
      for (const row of this.touched[side].drain()) {
        if (anchor) {
          this.proximal(params.gmf, grads.gmf, anchor.gmf, row * gmfDim, (row + 1) * gmfDim);
          this.proximal(params.mlp, grads.mlp, anchor.mlp, row * mlpEmbeddingDim, (row + 1) * mlpEmbeddingDim);
        }
        adam.gmf.update(params.gmf, grads.gmf, row * gmfDim, (row + 1) * gmfDim, this.t, this.hyper[side]);
        adam.mlp.update(params.mlp, grads.mlp, row * mlpEmbeddingDim, (row + 1) * mlpEmbeddingDim, this.t, this.hyper[side]);
      }
    }
    const params = denseArrays(this.params.dense);
    const grads = denseArrays(this.grads.dense);
    for (let k = 0; k < params.length; k++) {
      if (this.anchor) this.proximal(params[k], grads[k], this.anchor.dense[k], 0, params[k].length);
      this.adam.dense[k].update(params[k], grads[k], 0, params[k].length, this.t, this.hyper.dense);
    }
    return loss;
  }

  /** Adds the proximal term's gradient μ·(w − w₀) on [from, to). */
  private proximal(params: Float32Array, grads: Float32Array, anchor: Float32Array, from: number, to: number): void {
    const mu = this.proximalMu;
    for (let k = from; k < to; k++) grads[k] += mu * (params[k] - anchor[k]);
  }

  /** The batch's mean loss; its gradients are left in the gradient buffers (for tests, and for step). */
  accumulate(batch: NeuMFBatch): number {
    const n = batch.users.length;
    const { users, items } = this.params;
    const { users: userGrads, items: itemGrads } = this.grads;
    const kernel = this.kernel;
    let loss = 0;
    for (let s = 0; s < n; s++) {
      const u = batch.users[s];
      if (batch.kind === 'pointwise') {
        const i = batch.items[s];
        const z = kernel.forward(0, users, u, items, i);
        const y = batch.labels[s];
        loss += Math.max(z, 0) - z * y + Math.log1p(Math.exp(-Math.abs(z)));
        kernel.backward(0, (sigmoid(z) - y) / n, users, u, items, i, userGrads, itemGrads);
        loss += this.penalize('items', i, n);
      } else {
        const i = batch.positives[s];
        const j = batch.negatives[s];
        const margin = kernel.forward(0, users, u, items, i) - kernel.forward(1, users, u, items, j);
        // -log σ(margin) = softplus(-margin); its derivative in the margin is -σ(-margin).
        loss += Math.max(-margin, 0) + Math.log1p(Math.exp(-Math.abs(margin)));
        const dMargin = -sigmoid(-margin) / n;
        kernel.backward(0, dMargin, users, u, items, i, userGrads, itemGrads);
        kernel.backward(1, -dMargin, users, u, items, j, userGrads, itemGrads);
        loss += this.penalize('items', i, n) + this.penalize('items', j, n);
      }
      loss += this.penalize('users', u, n);
    }
    return loss / n;
  }

  /** Marks the row as touched and adds the L2 penalty's gradient (l2·row/n); returns its loss term ×n. */
  private penalize(side: 'users' | 'items', row: number, n: number): number {
    this.touched[side].add(row);
    const l2 = this.config.l2;
    if (l2 === 0) return 0;
    let sq = 0;
    for (const [table, grad, width] of [
      [this.params[side].gmf, this.grads[side].gmf, this.config.gmfDim],
      [this.params[side].mlp, this.grads[side].mlp, this.config.mlpEmbeddingDim],
    ] as const) {
      for (let k = row * width; k < (row + 1) * width; k++) {
        sq += table[k] * table[k];
        grad[k] += (l2 * table[k]) / n;
      }
    }
    return (l2 / 2) * sq;
  }

  /** Gradient buffers (valid between accumulate and step). */
  gradients(): { users: EmbeddingTables; items: EmbeddingTables; dense: NeuMFDenseWeights } {
    return this.grads;
  }
}

function zerosLike(t: EmbeddingTables): EmbeddingTables {
  return { gmf: new Float32Array(t.gmf.length), mlp: new Float32Array(t.mlp.length) };
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** A set of row indices in insertion order, cleared by drain(). */
class RowSet {
  private readonly rows: number[] = [];
  private readonly seen = new Set<number>();

  add(row: number): void {
    if (this.seen.has(row)) return;
    this.seen.add(row);
    this.rows.push(row);
  }

  drain(): number[] {
    const out = this.rows.splice(0);
    this.seen.clear();
    return out;
  }
}
