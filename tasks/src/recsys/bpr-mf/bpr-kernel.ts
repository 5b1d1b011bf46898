// The BPR-MF training step (Rendle et al. 2009, "BPR: Bayesian Personalized Ranking from Implicit
// Feedback") as a hand-written Float32Array kernel. Written by hand, not with tfjs: a triple touches three
// rows of d floats, and tfjs's gather gradient materialises a dense [numItems, d] gradient per batch (and
// its CPU backend runs each op through a dispatch layer), which is orders of magnitude slower than updating
// the three rows in place. The same kernel serves the centralized trainer (tables in SharedArrayBuffers,
// Hogwild across worker_threads) and the federated device (its own user row, a local copy of item rows).

import { ConfigError } from '@strata/shared';

/**
 * How a row is stepped. sgd: rate lr. rowwise-adagrad: rate lr / sqrt(sum of the row's mean squared
 * gradients), one float of state per row (FBGEMM's row-wise sparse Adagrad for embedding tables). On
 * ml-100k row-wise Adagrad matched per-weight Adagrad's accuracy at twice its speed and beat lazy Adam, so
 * those two were dropped.
 */
export type BprOptimizer = 'sgd' | 'rowwise-adagrad';

export const BPR_OPTIMIZERS: readonly BprOptimizer[] = ['sgd', 'rowwise-adagrad'];

export interface BprHyperparameters {
  readonly userOptimizer: BprOptimizer;
  readonly userLearningRate: number;
  /** For the item rows and item biases. */
  readonly itemOptimizer: BprOptimizer;
  readonly itemLearningRate: number;
  /** L2 weight on the rows a triple touches (user, positive and negative item, their biases). */
  readonly reg: number;
}

/**
 * The tables a kernel updates, row-major with `dim` floats a row, and their optimizer state (one float per
 * row for rowwise-adagrad, null for sgd), with the same row indices as their table.
 */
export interface BprTables {
  readonly dim: number;
  readonly users: Float32Array;
  readonly items: Float32Array;
  /** Item biases (one per item row), or null for a model without them. */
  readonly itemBias: Float32Array | null;
  readonly userState: Float32Array | null;
  readonly itemState: Float32Array | null;
  readonly biasState: Float32Array | null;
}

const ADAGRAD_EPS = 1e-10;

export function checkOptimizer(name: string, value: string): asserts value is BprOptimizer {
  if (!(BPR_OPTIMIZERS as readonly string[]).includes(value)) {
    throw new ConfigError(`${name} must be one of ${BPR_OPTIMIZERS.join(', ')}, got ${JSON.stringify(value)}`);
  }
}

export function checkHyperparameters(h: BprHyperparameters): void {
  checkOptimizer('user optimizer', h.userOptimizer);
  checkOptimizer('item optimizer', h.itemOptimizer);
  if (!(h.userLearningRate > 0)) throw new ConfigError(`user learning rate must be > 0, got ${h.userLearningRate}`);
  if (!(h.itemLearningRate > 0)) throw new ConfigError(`item learning rate must be > 0, got ${h.itemLearningRate}`);
  if (!(h.reg >= 0)) throw new ConfigError(`reg must be >= 0, got ${h.reg}`);
}

/** Optimizer state for `rows` rows (null for sgd). */
export function allocateRowState(
  optimizer: BprOptimizer,
  rows: number,
  alloc: (floats: number) => Float32Array = (n) => new Float32Array(n),
): Float32Array | null {
  return optimizer === 'sgd' ? null : alloc(rows);
}

/** -log sigmoid(x), computed without overflow. */
export function softplusNeg(x: number): number {
  return x > 0 ? Math.log1p(Math.exp(-x)) : -x + Math.log1p(Math.exp(x));
}

/**
 * One BPR step on the triple (user row u, positive item row i, negative item row j): descends
 * -log sigmoid(x_ui - x_uj) + reg/2 * (|w_u|^2 + |h_i|^2 + |h_j|^2 + b_i^2 + b_j^2), where
 * x_ui = w_u . h_i + b_i. `step` returns the BPR loss before the step (without the L2 term).
 */
export class BprKernel {
  private readonly dim: number;
  private readonly reg: number;
  private readonly userLr: number;
  private readonly itemLr: number;
  private readonly userAdagrad: boolean;
  private readonly itemAdagrad: boolean;

  constructor(readonly tables: BprTables, hyper: BprHyperparameters) {
    checkHyperparameters(hyper);
    this.dim = tables.dim;
    this.reg = hyper.reg;
    this.userLr = hyper.userLearningRate;
    this.itemLr = hyper.itemLearningRate;
    this.userAdagrad = hyper.userOptimizer === 'rowwise-adagrad';
    this.itemAdagrad = hyper.itemOptimizer === 'rowwise-adagrad';
    const check = (name: string, state: Float32Array | null, rows: number): void => {
      if (state === null || state.length < rows) {
        throw new ConfigError(`rowwise-adagrad needs ${rows} floats of ${name}, got ${state?.length ?? 'none'}`);
      }
    };
    if (this.userAdagrad) check('user optimizer state', tables.userState, tables.users.length / tables.dim);
    if (this.itemAdagrad) {
      check('item optimizer state', tables.itemState, tables.items.length / tables.dim);
      if (tables.itemBias !== null) check('item bias optimizer state', tables.biasState, tables.itemBias.length);
    }
  }

  step(u: number, i: number, j: number): number {
    const d = this.dim;
    const U = this.tables.users;
    const V = this.tables.items;
    const uo = u * d;
    const io = i * d;
    const jo = j * d;
    // One pass gathers the margin and, for Adagrad's row rates, the dot products that give the squared
    // gradient norms, so the rows are read twice (dots, then update) rather than three times.
    let ui = 0;
    let uj = 0;
    let uu = 0;
    let ii = 0;
    let jj = 0;
    let ij = 0;
    for (let k = 0; k < d; k++) {
      const wu = U[uo + k];
      const hi = V[io + k];
      const hj = V[jo + k];
      ui += wu * hi;
      uj += wu * hj;
      uu += wu * wu;
      ii += hi * hi;
      jj += hj * hj;
      ij += hi * hj;
    }
    const B = this.tables.itemBias;
    const x = ui - uj + (B === null ? 0 : B[i] - B[j]);
    // d(-log sigmoid(x))/dx = -sigmoid(-x) = -s
    const s = 1 / (1 + Math.exp(x));
    const reg = this.reg;
    let lu = this.userLr;
    let li = this.itemLr;
    let lj = this.itemLr;
    // |g_u|^2 = |s (h_j - h_i) + reg w_u|^2, |g_i|^2 = |reg h_i - s w_u|^2, |g_j|^2 = |reg h_j + s w_u|^2
    if (this.userAdagrad) {
      const gu2 = s * s * (ii + jj - 2 * ij) + 2 * s * reg * (uj - ui) + reg * reg * uu;
      lu = adagradRate(this.tables.userState as Float32Array, u, gu2 / d, lu);
    }
    if (this.itemAdagrad) {
      const VA = this.tables.itemState as Float32Array;
      li = adagradRate(VA, i, (reg * reg * ii - 2 * reg * s * ui + s * s * uu) / d, li);
      lj = adagradRate(VA, j, (reg * reg * jj + 2 * reg * s * uj + s * s * uu) / d, lj);
    }
    for (let k = 0; k < d; k++) {
      const wu = U[uo + k];
      const hi = V[io + k];
      const hj = V[jo + k];
      U[uo + k] = wu - lu * (s * (hj - hi) + reg * wu);
      V[io + k] = hi - li * (reg * hi - s * wu);
      V[jo + k] = hj - lj * (reg * hj + s * wu);
    }
    if (B !== null) {
      const gi = reg * B[i] - s;
      const gj = reg * B[j] + s;
      let bi = this.itemLr;
      let bj = this.itemLr;
      if (this.itemAdagrad) {
        const BA = this.tables.biasState as Float32Array;
        bi = adagradRate(BA, i, gi * gi, bi);
        bj = adagradRate(BA, j, gj * gj, bj);
      }
      B[i] -= bi * gi;
      B[j] -= bj * gj;
    }
    return softplusNeg(x);
  }
}

/** Adds a squared gradient to a row's sum and returns the row's Adagrad rate. */
function adagradRate(state: Float32Array, row: number, squaredGradient: number, lr: number): number {
  // max(0, .): the norm comes from a difference of dot products and may round below zero.
  return lr / (Math.sqrt((state[row] += Math.max(0, squaredGradient))) + ADAGRAD_EPS);
}
