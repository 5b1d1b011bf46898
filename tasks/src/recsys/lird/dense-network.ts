// A small fully connected network over one flat parameter array (LIRD's actor and critic): ReLU hidden layers,
// a tanh or linear output, forward and backward by hand for one example at a time. The parameters live apart from
// the network so that one network serves the live weights, the target weights and a device's copy.

import type { SeededRandom } from '@strata/shared';

export type OutputActivation = 'tanh' | 'linear';

interface Layer {
  readonly inputs: number;
  readonly outputs: number;
  /** Offsets of the [outputs, inputs] weights and the biases in the flat parameters. */
  readonly weights: number;
  readonly bias: number;
}

/** One forward pass's activations, kept for its backward pass. */
export class NetworkPass {
  readonly activations: Float32Array[];
  readonly gradients: Float32Array[];

  constructor(sizes: readonly number[]) {
    this.activations = sizes.map((n) => new Float32Array(n));
    this.gradients = sizes.map((n) => new Float32Array(n));
  }

  get output(): Float32Array {
    return this.activations[this.activations.length - 1];
  }

  get input(): Float32Array {
    return this.activations[0];
  }
}

export class DenseNetwork {
  readonly layers: readonly Layer[];
  readonly size: number;

  constructor(
    readonly sizes: readonly number[],
    readonly output: OutputActivation,
  ) {
    const layers: Layer[] = [];
    let offset = 0;
    for (let l = 0; l + 1 < sizes.length; l++) {
      const [inputs, outputs] = [sizes[l], sizes[l + 1]];
      layers.push({ inputs, outputs, weights: offset, bias: offset + inputs * outputs });
      offset += inputs * outputs + outputs;
    }
    this.layers = layers;
    this.size = offset;
  }

  /** Fresh parameters: hidden weights ~ normal(0, 2 / fan-in) (He), the last layer's ~ uniform(±3e-3) (DDPG's). */
  init(random: SeededRandom): Float32Array {
    const params = new Float32Array(this.size);
    this.layers.forEach((layer, l) => {
      const last = l === this.layers.length - 1;
      const std = Math.sqrt(2 / layer.inputs);
      for (let k = layer.weights; k < layer.bias; k++) params[k] = last ? (random.next() * 2 - 1) * 3e-3 : random.normal() * std;
    });
    return params;
  }

  pass(): NetworkPass {
    return new NetworkPass(this.sizes);
  }

  /** Runs `pass.input` (filled by the caller) through the network; the result is `pass.output`. */
  forward(params: Float32Array, pass: NetworkPass): Float32Array {
    this.layers.forEach((layer, l) => {
      const x = pass.activations[l];
      const y = pass.activations[l + 1];
      const last = l === this.layers.length - 1;
      for (let o = 0; o < layer.outputs; o++) {
        let s = params[layer.bias + o];
        for (let i = 0, w = layer.weights + o * layer.inputs; i < layer.inputs; i++, w++) s += params[w] * x[i];
        y[o] = last ? (this.output === 'tanh' ? Math.tanh(s) : s) : Math.max(s, 0);
      }
    });
    return pass.output;
  }

  /**
   * Back-propagates `dOutput` (the loss's gradient at the output) through the pass: adds the parameters' gradient
   * to `grads` (when given) and leaves the input's gradient in `pass.gradients[0]`.
   */
  backward(params: Float32Array, pass: NetworkPass, dOutput: Float32Array, grads: Float32Array | null): Float32Array {
    const last = this.layers.length;
    const top = pass.gradients[last];
    for (let o = 0; o < top.length; o++) {
      const y = pass.activations[last][o];
      top[o] = this.output === 'tanh' ? dOutput[o] * (1 - y * y) : dOutput[o];
    }
    for (let l = last - 1; l >= 0; l--) {
      const layer = this.layers[l];
      const x = pass.activations[l];
      const dy = pass.gradients[l + 1];
      const dx = pass.gradients[l];
      dx.fill(0);
      for (let o = 0; o < layer.outputs; o++) {
        const g = dy[o];
        if (g === 0) continue;
        const w0 = layer.weights + o * layer.inputs;
        if (grads) {
          grads[layer.bias + o] += g;
          for (let i = 0; i < layer.inputs; i++) grads[w0 + i] += g * x[i];
        }
        for (let i = 0; i < layer.inputs; i++) dx[i] += g * params[w0 + i];
      }
      // Through the ReLU of the layer below (the input layer has none).
      if (l > 0) for (let i = 0; i < dx.length; i++) if (x[i] <= 0) dx[i] = 0;
    }
    return pass.gradients[0];
  }
}
