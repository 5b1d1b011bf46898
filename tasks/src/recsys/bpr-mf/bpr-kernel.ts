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

/**
 * One BPR step on the triple (user row u, positive item row i, negative item row j): descends
 * -log sigmoid(x_ui - x_uj) + reg/2 * (|w_u|^2 + |h_i|^2 + |h_j|^2 + b_i^2 + b_j^2), where
 * x_ui = w_u . h_i + b_i. `step` returns the BPR loss before the step (without the L2 term).
 */
export class BprKernel {
  readonly step: (u: number, i: number, j: number) => number;

  constructor(
    readonly tables: BprTables,
    hyper: BprHyperparameters,
  ) {
    checkHyperparameters(hyper);
    const check = (name: string, state: Float32Array | null, rows: number): void => {
      if (state === null || state.length < rows) {
        throw new ConfigError(`rowwise-adagrad needs ${rows} floats of ${name}, got ${state?.length ?? 'none'}`);
      }
    };
    if (hyper.userOptimizer === 'rowwise-adagrad') check('user optimizer state', tables.userState, tables.users.length / tables.dim);
    if (hyper.itemOptimizer === 'rowwise-adagrad') {
      check('item optimizer state', tables.itemState, tables.items.length / tables.dim);
      if (tables.itemBias !== null) check('item bias optimizer state', tables.biasState, tables.itemBias.length);
    }
    this.step = bprStep(tables, hyper);
  }
}

/**
 * The step as a closure over the tables: TurboFan re-checks a typed array's map, length and data pointer
 * on each access through an object field, while arrays captured as constants are checked far less (a
 * quarter more triples per second here).
 */
function bprStep(tables: BprTables, hyper: BprHyperparameters): (u: number, i: number, j: number) => number {
  const d = tables.dim;
  const d4 = d & ~3;
  const U = tables.users;
  const V = tables.items;
  const B = tables.itemBias;
  const UA = tables.userState ?? new Float32Array(0);
  const VA = tables.itemState ?? new Float32Array(0);
  const BA = tables.biasState ?? new Float32Array(0);
  const reg = hyper.reg;
  const userLr = hyper.userLearningRate;
  const itemLr = hyper.itemLearningRate;
  const userAdagrad = hyper.userOptimizer === 'rowwise-adagrad';
  const itemAdagrad = hyper.itemOptimizer === 'rowwise-adagrad';

  return (u, i, j) => {
    const uo = u * d;
    const io = i * d;
    const jo = j * d;
    // One pass gathers the margin and, for Adagrad's row rates, the dot products that give the squared
    // gradient norms, so the rows are read twice (dots, then update) rather than three times. Unrolled by
    // four: V8 does not vectorise, and the independent sums run 1.4x faster than a plain loop here.
    let ui = 0;
    let uj = 0;
    let uu = 0;
    let ii = 0;
    let jj = 0;
    let ij = 0;
    let k = 0;
    for (; k < d4; k += 4) {
      const w0 = U[uo + k],
        w1 = U[uo + k + 1],
        w2 = U[uo + k + 2],
        w3 = U[uo + k + 3];
      const p0 = V[io + k],
        p1 = V[io + k + 1],
        p2 = V[io + k + 2],
        p3 = V[io + k + 3];
      const n0 = V[jo + k],
        n1 = V[jo + k + 1],
        n2 = V[jo + k + 2],
        n3 = V[jo + k + 3];
      ui += w0 * p0 + w1 * p1 + w2 * p2 + w3 * p3;
      uj += w0 * n0 + w1 * n1 + w2 * n2 + w3 * n3;
      uu += w0 * w0 + w1 * w1 + w2 * w2 + w3 * w3;
      ii += p0 * p0 + p1 * p1 + p2 * p2 + p3 * p3;
      jj += n0 * n0 + n1 * n1 + n2 * n2 + n3 * n3;
      ij += p0 * n0 + p1 * n1 + p2 * n2 + p3 * n3;
    }
    for (; k < d; k++) {
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
    const x = ui - uj + (B === null ? 0 : B[i] - B[j]);
    // d(-log sigmoid(x))/dx = -sigmoid(-x) = -s
    const ex = Math.exp(x);
    const s = 1 / (1 + ex);
    let lu = userLr;
    let li = itemLr;
    let lj = itemLr;
    // |g_u|^2 = |s (h_j - h_i) + reg w_u|^2, |g_i|^2 = |reg h_i - s w_u|^2, |g_j|^2 = |reg h_j + s w_u|^2
    if (userAdagrad) lu = adagradRate(UA, u, (s * s * (ii + jj - 2 * ij) + 2 * s * reg * (uj - ui) + reg * reg * uu) / d, lu);
    if (itemAdagrad) {
      li = adagradRate(VA, i, (reg * reg * ii - 2 * reg * s * ui + s * s * uu) / d, li);
      lj = adagradRate(VA, j, (reg * reg * jj + 2 * reg * s * uj + s * s * uu) / d, lj);
    }
    // w -= lu (s (h_j - h_i) + reg w), h_i -= li (reg h_i - s w), h_j -= lj (reg h_j + s w), factored.
    const keepU = 1 - lu * reg;
    const keepI = 1 - li * reg;
    const keepJ = 1 - lj * reg;
    const su = lu * s;
    const si = li * s;
    const sj = lj * s;
    for (let c = 0; c < d; c++) {
      const wu = U[uo + c];
      const hi = V[io + c];
      const hj = V[jo + c];
      U[uo + c] = keepU * wu - su * (hj - hi);
      V[io + c] = keepI * hi + si * wu;
      V[jo + c] = keepJ * hj - sj * wu;
    }
    if (B !== null) {
      const gi = reg * B[i] - s;
      const gj = reg * B[j] + s;
      B[i] -= (itemAdagrad ? adagradRate(BA, i, gi * gi, itemLr) : itemLr) * gi;
      B[j] -= (itemAdagrad ? adagradRate(BA, j, gj * gj, itemLr) : itemLr) * gj;
    }
    // -log sigmoid(x) = log(1 + e^x) - x, reusing e^x (which overflows only far past x = 30).
    return x > 30 ? Math.exp(-x) : Math.log1p(ex) - x;
  };
}

/** Adds a squared gradient to a row's sum and returns the row's Adagrad rate. */
function adagradRate(state: Float32Array, row: number, squaredGradient: number, lr: number): number {
  // max(0, .): the norm comes from a difference of dot products and may round below zero.
  state[row] += Math.max(0, squaredGradient);
  return lr / (Math.sqrt(state[row]) + ADAGRAD_EPS);
}
