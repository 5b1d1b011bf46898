// Adam (Kingma & Ba 2015) over a Float32Array, with tfjs's defaults and update rule so the hand-written
// training path steps exactly like tf.train.adam. Rows can be updated lazily: only the rows a batch touched
// move (LazyAdam), which keeps a step's cost proportional to the batch, not to the embedding table.

export interface AdamHyper {
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
}

/** tf.train.adam's defaults (epsilon is tfjs's float32 backend epsilon). */
export const TFJS_ADAM: Omit<AdamHyper, 'learningRate'> = { beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };

export class AdamState {
  private readonly m: Float32Array;
  private readonly v: Float32Array;

  constructor(size: number) {
    this.m = new Float32Array(size);
    this.v = new Float32Array(size);
  }

  /**
   * One step of params[from, to) from grads[from, to) at step `t` (1-based), then zeroes those grads.
   */
  update(params: Float32Array, grads: Float32Array, from: number, to: number, t: number, hyper: AdamHyper): void {
    const { beta1, beta2, epsilon, learningRate } = hyper;
    const c1 = 1 - beta1 ** t;
    const c2 = 1 - beta2 ** t;
    const { m, v } = this;
    for (let k = from; k < to; k++) {
      const g = grads[k];
      const mk = beta1 * m[k] + (1 - beta1) * g;
      const vk = beta2 * v[k] + (1 - beta2) * g * g;
      m[k] = mk;
      v[k] = vk;
      params[k] -= (learningRate * (mk / c1)) / (Math.sqrt(vk / c2) + epsilon);
      grads[k] = 0;
    }
  }
}
