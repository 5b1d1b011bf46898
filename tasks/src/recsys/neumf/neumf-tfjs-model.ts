// NeuMF (He et al. 2017, "Neural Collaborative Filtering") as TensorFlow.js variables and ops: a GMF tower
// (user ⊙ item embeddings) and an MLP tower (its own user ++ item embeddings through ReLU layers), joined
// by one linear output unit whose sigmoid is the interaction probability. Trained with Adam on either the
// pointwise log loss or BPR. This is the centralized engine; its loss defines what the hand-written kernel
// (neumf-kernel.ts) must compute, and a test holds the two to the same gradients.

import * as tf from '@tensorflow/tfjs';
import { dense, rowSize, type ModelParams } from '@strata/shared';
import type { NeuMFConfig } from './neumf-config.js';
import type { NeuMFBatch } from './neumf-batch.js';
import {
  GMF_ITEM_EMBEDDING,
  GMF_USER_EMBEDDING,
  MLP_ITEM_EMBEDDING,
  MLP_USER_EMBEDDING,
  OUTPUT_BIAS,
  OUTPUT_KERNEL,
  mlpBiasName,
  mlpKernelName,
} from './neumf-params.js';

export class NeuMFTfjsModel {
  /** Each model tensor as one or more tfjs variables holding consecutive row blocks (see rowBlocks). */
  private readonly blocks = new Map<string, tf.Variable[]>();
  private readonly optimizer: tf.Optimizer;

  /** Copies `params` (which must hold the user tables) into fresh tfjs variables. */
  constructor(
    readonly config: NeuMFConfig,
    params: ModelParams,
  ) {
    for (const name of [GMF_USER_EMBEDDING, MLP_USER_EMBEDDING]) {
      if (!params.has(name))
        throw new RangeError(`NeuMF tfjs model needs '${name}' (centralized params), got ${[...params.keys()].join(', ')}`);
    }
    for (const [name, t] of params) {
      const cols = rowSize(t.shape);
      let row = 0;
      const vars = rowBlocks(config, name, t.shape[0]).map((rows) => {
        const values = t.values.subarray(row * cols, (row + rows) * cols);
        row += rows;
        return tf.variable(tf.tensor(values, [rows, ...t.shape.slice(1)], 'float32'), true, `neumf/${name}/${uniqueSuffix()}`);
      });
      this.blocks.set(name, vars);
    }
    this.optimizer = tf.train.adam(config.learningRate);
  }

  /** Logits (pre-sigmoid scores) for each (users[i], items[i]). The caller disposes the result. */
  logits(users: Int32Array, items: Int32Array): tf.Tensor1D {
    return tf.tidy(() => this.logitsOf(tf.tensor1d(users, 'int32'), tf.tensor1d(items, 'int32')));
  }

  /** The batch's mean loss (including the L2 penalty on the rows it touches). The caller disposes it. */
  loss(batch: NeuMFBatch): tf.Scalar {
    return tf.tidy(() => this.lossOf(batch));
  }

  /** One Adam step on the batch's mean loss; returns that loss (before the step). */
  trainStep(batch: NeuMFBatch): number {
    const loss = this.optimizer.minimize(() => this.lossOf(batch), true, this.allVariables())!;
    const value = loss.dataSync()[0];
    loss.dispose();
    return value;
  }

  /** Gradients of the batch's mean loss with respect to every tensor, as a model-shaped map. */
  gradients(batch: NeuMFBatch): ModelParams {
    const { value, grads } = tf.variableGrads(() => this.lossOf(batch), this.allVariables());
    value.dispose();
    const out = this.read((v) => grads[v.name]);
    for (const g of Object.values(grads)) g.dispose();
    return out;
  }

  /** A copy of the current weights, in the same names and order as the params the model was built from. */
  params(): ModelParams {
    return this.read((v) => v);
  }

  dispose(): void {
    for (const v of this.allVariables()) v.dispose();
    this.optimizer.dispose();
  }

  private read(pick: (v: tf.Variable) => tf.Tensor): ModelParams {
    const out: ModelParams = new Map();
    for (const [name, vars] of this.blocks) {
      const parts = vars.map((v) => pick(v).dataSync() as Float32Array);
      const values = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const p of parts) {
        values.set(p, at);
        at += p.length;
      }
      const rows = vars.reduce((n, v) => n + v.shape[0], 0);
      out.set(name, dense([rows, ...vars[0].shape.slice(1)], values));
    }
    return out;
  }

  private allVariables(): tf.Variable[] {
    return [...this.blocks.values()].flat();
  }

  private block(name: string, index = 0): tf.Variable {
    const v = this.blocks.get(name)?.[index];
    if (!v) throw new RangeError(`NeuMF model has no tensor '${name}' (has ${[...this.blocks.keys()].join(', ')})`);
    return v;
  }

  private logitsOf(users: tf.Tensor1D, items: tf.Tensor1D): tf.Tensor1D {
    const gmf = tf.mul(tf.gather(this.block(GMF_USER_EMBEDDING), users), tf.gather(this.block(GMF_ITEM_EMBEDDING), items));
    const userPart = tf.matMul(tf.gather(this.block(MLP_USER_EMBEDDING), users), this.block(mlpKernelName(0), 0) as tf.Tensor2D);
    const itemPart = tf.matMul(tf.gather(this.block(MLP_ITEM_EMBEDDING), items), this.block(mlpKernelName(0), 1) as tf.Tensor2D);
    let h = tf.relu(tf.add(tf.add(userPart, itemPart), this.block(mlpBiasName(0)))) as tf.Tensor2D;
    for (let k = 1; k < this.config.mlpLayers.length; k++) {
      h = tf.relu(tf.add(tf.matMul(h, this.block(mlpKernelName(k)) as tf.Tensor2D), this.block(mlpBiasName(k)))) as tf.Tensor2D;
    }
    const z = tf.add(
      tf.add(tf.matMul(gmf, this.block(OUTPUT_KERNEL, 0) as tf.Tensor2D), tf.matMul(h, this.block(OUTPUT_KERNEL, 1) as tf.Tensor2D)),
      this.block(OUTPUT_BIAS),
    );
    return tf.reshape(z, [-1]);
  }

  private lossOf(batch: NeuMFBatch): tf.Scalar {
    const users = tf.tensor1d(batch.users, 'int32');
    let data: tf.Tensor;
    let penalty: tf.Tensor;
    if (batch.kind === 'pointwise') {
      const items = tf.tensor1d(batch.items, 'int32');
      data = tf.losses.sigmoidCrossEntropy(tf.tensor1d(batch.labels), this.logitsOf(users, items), undefined, 0, tf.Reduction.MEAN);
      penalty = tf.add(
        this.squaredRows(users, [GMF_USER_EMBEDDING, MLP_USER_EMBEDDING]),
        this.squaredRows(items, [GMF_ITEM_EMBEDDING, MLP_ITEM_EMBEDDING]),
      );
    } else {
      const positives = tf.tensor1d(batch.positives, 'int32');
      const negatives = tf.tensor1d(batch.negatives, 'int32');
      const margin = tf.sub(this.logitsOf(users, positives), this.logitsOf(users, negatives));
      // -log σ(margin) as softplus(-margin): tf.logSigmoid's gradient fails in tfjs 4.22 (it reads a disposed tensor).
      data = tf.mean(tf.softplus(tf.neg(margin)));
      penalty = tf.addN([
        this.squaredRows(users, [GMF_USER_EMBEDDING, MLP_USER_EMBEDDING]),
        this.squaredRows(positives, [GMF_ITEM_EMBEDDING, MLP_ITEM_EMBEDDING]),
        this.squaredRows(negatives, [GMF_ITEM_EMBEDDING, MLP_ITEM_EMBEDDING]),
      ]);
    }
    if (this.config.l2 === 0) return data as tf.Scalar;
    // Per-sample penalty (l2 / 2)·|row|², averaged over the batch like the data term: its gradient on a row is l2·row per occurrence.
    return tf.add(data, tf.mul(penalty, this.config.l2 / (2 * batch.users.length))) as tf.Scalar;
  }

  private squaredRows(indices: tf.Tensor1D, tables: string[]): tf.Tensor {
    return tf.addN(tables.map((name) => tf.sum(tf.square(tf.gather(this.block(name), indices)))));
  }
}

/**
 * How a tensor is split into variables. The kernels that read a concatenation (the first MLP layer reads
 * user ++ item embeddings, the output reads GMF ++ MLP) are held as two row blocks, so the graph multiplies
 * each part separately and adds: the same function, without tfjs's concat and its split gradient, which
 * are slow on the cpu backend.
 */
function rowBlocks(config: NeuMFConfig, name: string, rows: number): number[] {
  if (name === mlpKernelName(0)) return [config.mlpEmbeddingDim, config.mlpEmbeddingDim];
  if (name === OUTPUT_KERNEL) return [config.gmfDim, rows - config.gmfDim];
  return [rows];
}

// tfjs variable names are global per process; several models (tests, trainers) may coexist.
let nextSuffix = 0;
function uniqueSuffix(): number {
  return nextSuffix++;
}
