// SASRec's forward and backward pass for one sequence over plain Float32Arrays (Kang & McAuley 2018,
// "Self-Attentive Sequential Recommendation"): item embedding × sqrt(d) + a learned position, then blocks of
// causal single-head self-attention and a ReLU feed-forward layer, each a pre-norm residual branch with
// dropout, and a final layer norm; position t scores item i as F_t · M_i with the input item table M. The loss
// is the paper's: at every position, binary cross-entropy of the next item against one sampled negative.
// Hand-written rather than tfjs for the reason NeuMF's device kernel is (docs/decisions.md): a federated
// device trains one short sequence per step, where tfjs's per-op overhead would dominate.

import type { SeededRandom } from '@strata/shared';
import { denseLayout, type DenseLayout, type SasrecShape, type SasrecWeights } from './sasrec-params.js';

/** Gradients of the same layout as SasrecWeights; item rows are marked when touched so a step visits only those. */
export class SasrecGradients {
  readonly items: Float32Array;
  readonly dense: Float32Array;
  private readonly marked: Uint8Array;
  /** The item rows with a gradient, in the order first touched. */
  readonly touched: number[] = [];

  constructor(shape: SasrecShape) {
    this.items = new Float32Array(shape.numItems * shape.dim);
    this.dense = new Float32Array(denseLayout(shape).size);
    this.marked = new Uint8Array(shape.numItems);
  }

  mark(item: number): void {
    if (this.marked[item] === 0) {
      this.marked[item] = 1;
      this.touched.push(item);
    }
  }

  /** Zeroes every gradient and forgets the touched rows. */
  clear(dim: number): void {
    for (const item of this.touched) {
      this.marked[item] = 0;
      this.items.fill(0, item * dim, (item + 1) * dim);
    }
    this.touched.length = 0;
    this.dense.fill(0);
  }
}

/** What one block keeps from its forward pass for the backward pass. */
interface BlockCache {
  readonly xhat1: Float32Array;
  readonly rstd1: Float32Array;
  readonly a: Float32Array;
  readonly q: Float32Array;
  readonly k: Float32Array;
  readonly v: Float32Array;
  readonly att: Float32Array;
  readonly o: Float32Array;
  readonly mask1: Float32Array;
  readonly h1: Float32Array;
  readonly xhat2: Float32Array;
  readonly rstd2: Float32Array;
  readonly f: Float32Array;
  readonly z: Float32Array;
  readonly r: Float32Array;
  readonly mask2: Float32Array;
}

export class SasrecKernel {
  readonly layout: DenseLayout;
  private readonly d: number;
  private readonly window: number;
  /** Inputs of block b (hs[0] the embedded sequence) and, last, the final block's output. */
  private readonly hs: Float32Array[];
  private readonly mask0: Float32Array;
  private readonly caches: BlockCache[];
  private readonly xhatF: Float32Array;
  private readonly rstdF: Float32Array;
  /** The final layer norm's output F [n, d] of the latest forward pass. */
  readonly out: Float32Array;
  private readonly inputs: Int32Array;
  private n = 0;
  // Backward scratch.
  private readonly dOut: Float32Array;
  private readonly dh: Float32Array;
  private readonly dBranch: Float32Array;
  private readonly dq: Float32Array;
  private readonly dk: Float32Array;
  private readonly dv: Float32Array;
  private readonly dRow: Float32Array;

  constructor(readonly shape: SasrecShape) {
    this.layout = denseLayout(shape);
    const d = shape.dim;
    const L = shape.maxLength;
    this.d = d;
    this.window = L;
    const seq = (): Float32Array => new Float32Array(L * d);
    this.hs = Array.from({ length: shape.blocks + 1 }, seq);
    this.mask0 = seq();
    this.caches = Array.from({ length: shape.blocks }, () => ({
      xhat1: seq(),
      rstd1: new Float32Array(L),
      a: seq(),
      q: seq(),
      k: seq(),
      v: seq(),
      att: new Float32Array(L * L),
      o: seq(),
      mask1: seq(),
      h1: seq(),
      xhat2: seq(),
      rstd2: new Float32Array(L),
      f: seq(),
      z: seq(),
      r: seq(),
      mask2: seq(),
    }));
    this.xhatF = seq();
    this.rstdF = new Float32Array(L);
    this.out = seq();
    this.inputs = new Int32Array(L);
    this.dOut = seq();
    this.dh = seq();
    this.dBranch = seq();
    this.dq = seq();
    this.dk = seq();
    this.dv = seq();
    this.dRow = new Float32Array(L);
  }

  /**
   * The forward pass over `items` (at most maxLength, oldest first; the last sits at the last position).
   * Dropout applies when `random` is given and `dropout` > 0. Leaves F in `out` (the first n·d values).
   */
  forward(w: SasrecWeights, items: Int32Array, dropout: number, random: SeededRandom | null): void {
    const { d, layout } = this;
    const n = items.length;
    if (n < 1 || n > this.window) throw new RangeError(`a SASRec sequence has 1 to ${this.window} items, got ${n}`);
    this.n = n;
    this.inputs.set(items);
    const drop = random !== null && dropout > 0 ? { p: dropout, random } : null;
    const h0 = this.hs[0];
    const scale = Math.sqrt(d);
    const first = this.window - n;
    for (let t = 0; t < n; t++) {
      const item = items[t] * d;
      const pos = layout.position + (first + t) * d;
      for (let c = 0; c < d; c++) h0[t * d + c] = w.items[item + c] * scale + w.dense[pos + c];
    }
    applyDropout(h0, this.mask0, n * d, drop);
    for (let b = 0; b < this.caches.length; b++)
      this.blockForward(w.dense, layout.blocks[b], this.caches[b], this.hs[b], this.hs[b + 1], drop);
    layerNorm(this.hs[this.caches.length], n, d, w.dense, layout.finalGamma, layout.finalBeta, this.xhatF, this.rstdF, this.out);
  }

  /**
   * Trains on one sequence: forward over `inputs`, then at each position t the loss
   * -log σ(F_t · M_targets[t]) - log σ(-F_t · M_negatives[t]); adds the gradient of the summed loss times
   * `scale` to `grads` and returns the summed loss.
   */
  accumulate(
    w: SasrecWeights,
    grads: SasrecGradients,
    inputs: Int32Array,
    targets: Int32Array,
    negatives: Int32Array,
    dropout: number,
    random: SeededRandom | null,
    scale: number,
  ): number {
    this.forward(w, inputs, dropout, random);
    const { d, n, out, dOut } = this;
    let loss = 0;
    for (let t = 0; t < n; t++) {
      const pos = targets[t] * d;
      const neg = negatives[t] * d;
      let lp = 0;
      let ln = 0;
      for (let c = 0; c < d; c++) {
        lp += out[t * d + c] * w.items[pos + c];
        ln += out[t * d + c] * w.items[neg + c];
      }
      loss += softplus(-lp) + softplus(ln);
      const gp = (sigmoid(lp) - 1) * scale;
      const gn = sigmoid(ln) * scale;
      grads.mark(targets[t]);
      grads.mark(negatives[t]);
      for (let c = 0; c < d; c++) {
        const f = out[t * d + c];
        dOut[t * d + c] = gp * w.items[pos + c] + gn * w.items[neg + c];
        grads.items[pos + c] += gp * f;
        grads.items[neg + c] += gn * f;
      }
    }
    this.backward(w, grads);
    return loss;
  }

  /** out[i] = F_last · M_i for every item, after a forward pass without dropout over `items`. */
  scoreAll(w: SasrecWeights, items: Int32Array, out: Float32Array): void {
    this.forward(w, items, 0, null);
    const { d } = this;
    const last = (this.n - 1) * d;
    for (let i = 0, o = 0; i < out.length; i++, o += d) {
      let s = 0;
      for (let c = 0; c < d; c++) s += this.out[last + c] * w.items[o + c];
      out[i] = s;
    }
  }

  private blockForward(
    p: Float32Array,
    o: SasrecBlockOffsets,
    c: BlockCache,
    hIn: Float32Array,
    hOut: Float32Array,
    drop: Dropout | null,
  ): void {
    const { d, n, window: L } = this;
    layerNorm(hIn, n, d, p, o.ln1Gamma, o.ln1Beta, c.xhat1, c.rstd1, c.a);
    matmul(c.a, n, d, p, o.wq, d, c.q);
    matmul(c.a, n, d, p, o.wk, d, c.k);
    matmul(c.a, n, d, p, o.wv, d, c.v);
    const scale = 1 / Math.sqrt(d);
    for (let t = 0; t < n; t++) {
      const row = t * L;
      let max = -Infinity;
      for (let j = 0; j <= t; j++) {
        let s = 0;
        for (let x = 0; x < d; x++) s += c.q[t * d + x] * c.k[j * d + x];
        s *= scale;
        c.att[row + j] = s;
        if (s > max) max = s;
      }
      let sum = 0;
      for (let j = 0; j <= t; j++) {
        const e = Math.exp(c.att[row + j] - max);
        c.att[row + j] = e;
        sum += e;
      }
      c.o.fill(0, t * d, (t + 1) * d);
      for (let j = 0; j <= t; j++) {
        const a = c.att[row + j] / sum;
        c.att[row + j] = a;
        for (let x = 0; x < d; x++) c.o[t * d + x] += a * c.v[j * d + x];
      }
    }
    applyDropout(c.o, c.mask1, n * d, drop);
    for (let k = 0; k < n * d; k++) c.h1[k] = hIn[k] + c.o[k];
    layerNorm(c.h1, n, d, p, o.ln2Gamma, o.ln2Beta, c.xhat2, c.rstd2, c.f);
    matmul(c.f, n, d, p, o.w1, d, c.z);
    for (let k = 0; k < n * d; k++) {
      const z = c.z[k] + p[o.b1 + (k % d)];
      c.z[k] = z;
      c.r[k] = Math.max(z, 0);
    }
    matmul(c.r, n, d, p, o.w2, d, hOut);
    for (let k = 0; k < n * d; k++) hOut[k] += p[o.b2 + (k % d)];
    applyDropout(hOut, c.mask2, n * d, drop);
    for (let k = 0; k < n * d; k++) hOut[k] += c.h1[k];
  }

  /** Back-propagates dOut (the loss's gradient with respect to F) into `grads`. */
  private backward(w: SasrecWeights, grads: SasrecGradients): void {
    const { d, n, layout, dh } = this;
    const p = w.dense;
    const g = grads.dense;
    dh.fill(0, 0, n * d);
    layerNormBackward(this.dOut, n, d, this.xhatF, this.rstdF, p, layout.finalGamma, g, layout.finalBeta, dh);
    for (let b = this.caches.length - 1; b >= 0; b--) this.blockBackward(p, g, layout.blocks[b], this.caches[b]);
    // dh now holds the gradient with respect to the embedded sequence.
    const scale = Math.sqrt(d);
    const first = this.window - n;
    for (let t = 0; t < n; t++) {
      const item = this.inputs[t];
      grads.mark(item);
      const pos = layout.position + (first + t) * d;
      for (let c = 0; c < d; c++) {
        const grad = dh[t * d + c] * this.mask0[t * d + c];
        grads.items[item * d + c] += grad * scale;
        g[pos + c] += grad;
      }
    }
  }

  /** dh: the gradient with respect to the block's output on entry, to its input on return. */
  private blockBackward(p: Float32Array, g: Float32Array, o: SasrecBlockOffsets, c: BlockCache): void {
    const { d, n, window: L, dh, dBranch, dq, dk, dv, dRow } = this;
    const size = n * d;
    // Feed-forward branch: hOut = h1 + drop(W2 relu(W1 f + b1) + b2); dh flows to h1 unchanged.
    for (let k = 0; k < size; k++) {
      const dy = dh[k] * c.mask2[k];
      dBranch[k] = dy;
      g[o.b2 + (k % d)] += dy;
    }
    // dq serves as the gradient of r, then of z.
    dq.fill(0, 0, size);
    matmulBackward(c.r, n, d, p, o.w2, d, dBranch, dq, g);
    for (let k = 0; k < size; k++) {
      const dz = c.z[k] > 0 ? dq[k] : 0;
      dq[k] = dz;
      g[o.b1 + (k % d)] += dz;
    }
    dBranch.fill(0, 0, size);
    matmulBackward(c.f, n, d, p, o.w1, d, dq, dBranch, g);
    layerNormBackward(dBranch, n, d, c.xhat2, c.rstd2, p, o.ln2Gamma, g, o.ln2Beta, dh);
    // Attention branch: h1 = hIn + drop(attention(a)); dh is now the gradient at h1.
    for (let k = 0; k < size; k++) dBranch[k] = dh[k] * c.mask1[k];
    dq.fill(0, 0, size);
    dk.fill(0, 0, size);
    dv.fill(0, 0, size);
    const scale = 1 / Math.sqrt(d);
    for (let t = 0; t < n; t++) {
      const row = t * L;
      let weighted = 0;
      for (let j = 0; j <= t; j++) {
        const a = c.att[row + j];
        let da = 0;
        for (let x = 0; x < d; x++) {
          da += dBranch[t * d + x] * c.v[j * d + x];
          dv[j * d + x] += a * dBranch[t * d + x];
        }
        dRow[j] = da;
        weighted += a * da;
      }
      for (let j = 0; j <= t; j++) {
        const ds = c.att[row + j] * (dRow[j] - weighted) * scale;
        for (let x = 0; x < d; x++) {
          dq[t * d + x] += ds * c.k[j * d + x];
          dk[j * d + x] += ds * c.q[t * d + x];
        }
      }
    }
    dBranch.fill(0, 0, size);
    matmulBackward(c.a, n, d, p, o.wq, d, dq, dBranch, g);
    matmulBackward(c.a, n, d, p, o.wk, d, dk, dBranch, g);
    matmulBackward(c.a, n, d, p, o.wv, d, dv, dBranch, g);
    layerNormBackward(dBranch, n, d, c.xhat1, c.rstd1, p, o.ln1Gamma, g, o.ln1Beta, dh);
  }
}

type SasrecBlockOffsets = DenseLayout['blocks'][number];

interface Dropout {
  readonly p: number;
  readonly random: SeededRandom;
}

/** Inverted dropout in place over x[0, size): mask holds 0 or 1/(1-p) (all 1 without dropout). */
function applyDropout(x: Float32Array, mask: Float32Array, size: number, drop: Dropout | null): void {
  if (drop === null) {
    mask.fill(1, 0, size);
    return;
  }
  const keep = 1 / (1 - drop.p);
  for (let k = 0; k < size; k++) {
    const m = drop.random.next() < drop.p ? 0 : keep;
    mask[k] = m;
    x[k] *= m;
  }
}

/** y[n, out] = x[n, in] · W, with W row-major [in, out] at `offset` of `p`. */
function matmul(x: Float32Array, n: number, inDim: number, p: Float32Array, offset: number, outDim: number, y: Float32Array): void {
  y.fill(0, 0, n * outDim);
  for (let t = 0; t < n; t++) {
    for (let i = 0; i < inDim; i++) {
      const xv = x[t * inDim + i];
      if (xv === 0) continue;
      const w = offset + i * outDim;
      const yo = t * outDim;
      for (let c = 0; c < outDim; c++) y[yo + c] += xv * p[w + c];
    }
  }
}

/** dx += dy · Wᵀ and dW (at `offset` of `g`) += xᵀ · dy, for y = x · W. */
function matmulBackward(
  x: Float32Array,
  n: number,
  inDim: number,
  p: Float32Array,
  offset: number,
  outDim: number,
  dy: Float32Array,
  dx: Float32Array,
  g: Float32Array,
): void {
  for (let t = 0; t < n; t++) {
    const yo = t * outDim;
    for (let i = 0; i < inDim; i++) {
      const xv = x[t * inDim + i];
      const w = offset + i * outDim;
      let acc = 0;
      for (let c = 0; c < outDim; c++) {
        const gy = dy[yo + c];
        acc += gy * p[w + c];
        g[w + c] += xv * gy;
      }
      dx[t * inDim + i] += acc;
    }
  }
}

const LAYER_NORM_EPSILON = 1e-8;

/** out = γ · (x - mean) / sqrt(var + ε) + β per row, keeping the normalised rows and 1/sqrt(var + ε). */
function layerNorm(
  x: Float32Array,
  n: number,
  d: number,
  p: Float32Array,
  gamma: number,
  beta: number,
  xhat: Float32Array,
  rstd: Float32Array,
  out: Float32Array,
): void {
  for (let t = 0; t < n; t++) {
    const row = t * d;
    let mean = 0;
    for (let c = 0; c < d; c++) mean += x[row + c];
    mean /= d;
    let variance = 0;
    for (let c = 0; c < d; c++) variance += (x[row + c] - mean) ** 2;
    const r = 1 / Math.sqrt(variance / d + LAYER_NORM_EPSILON);
    rstd[t] = r;
    for (let c = 0; c < d; c++) {
      const xh = (x[row + c] - mean) * r;
      xhat[row + c] = xh;
      out[row + c] = p[gamma + c] * xh + p[beta + c];
    }
  }
}

/** dx += the layer norm's input gradient for `dOut`; γ and β gradients (at their offsets of `g`) too. */
function layerNormBackward(
  dOut: Float32Array,
  n: number,
  d: number,
  xhat: Float32Array,
  rstd: Float32Array,
  p: Float32Array,
  gamma: number,
  g: Float32Array,
  beta: number,
  dx: Float32Array,
): void {
  for (let t = 0; t < n; t++) {
    const row = t * d;
    let meanD = 0;
    let meanDX = 0;
    for (let c = 0; c < d; c++) {
      const dy = dOut[row + c];
      g[gamma + c] += dy * xhat[row + c];
      g[beta + c] += dy;
      const dxh = dy * p[gamma + c];
      meanD += dxh;
      meanDX += dxh * xhat[row + c];
    }
    meanD /= d;
    meanDX /= d;
    for (let c = 0; c < d; c++) {
      const dxh = dOut[row + c] * p[gamma + c];
      dx[row + c] += rstd[t] * (dxh - meanD - xhat[row + c] * meanDX);
    }
  }
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** log(1 + e^x), stable for large |x|. */
function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}
