// What an edge sends up after κ2 edge iterations: its model minus the global model it started from. Dense
// tensors are subtracted whole; tensors that only ever arrived as sparse rows stay sparse, covering the rows
// any iteration touched, with each row's weights summed over the iterations.

import { dense, rowSize, type ModelParams, type ModelUpdate, type TensorValue } from './model.js';

interface SparseTrack {
  readonly weights: Float32Array;
}

export class CumulativeDelta {
  private readonly sparse = new Map<string, SparseTrack>();
  private readonly denseNames = new Set<string>();
  private weightSum = 0;
  private iterations = 0;
  private readonly metricSums: Record<string, number> = {};

  constructor(private readonly base: ModelParams) {}

  /** Notes one edge iteration's combined update (before or after it is applied). */
  record(combined: ModelUpdate): void {
    this.iterations++;
    this.weightSum += combined.weight;
    for (const [key, value] of Object.entries(combined.metrics)) this.metricSums[key] = (this.metricSums[key] ?? 0) + value;
    for (const [name, tensor] of combined.delta) {
      if (tensor.kind === 'dense' || this.denseNames.has(name)) {
        this.denseNames.add(name);
        this.sparse.delete(name);
        continue;
      }
      const baseTensor = this.base.get(name);
      if (!baseTensor) continue;
      let track = this.sparse.get(name);
      if (!track) {
        track = { weights: new Float32Array(baseTensor.shape[0]) };
        this.sparse.set(name, track);
      }
      for (let k = 0; k < tensor.rows.length; k++) {
        track.weights[tensor.rows[k]] += tensor.rowWeights ? tensor.rowWeights[k] : combined.weight;
      }
    }
  }

  /** Sum of the recorded iterations' weights (samples trained on across all iterations). */
  get totalWeight(): number {
    return this.weightSum;
  }

  /** The update from `base` to `current`, weighted by the mean weight of the recorded iterations. */
  result(current: ModelParams): ModelUpdate {
    return this.difference(current, false);
  }

  /**
   * The same update as result(current), with its dense tensors computed in place in `current`'s, which no
   * longer hold the model afterwards: for a caller done with `current` (an edge's model once its round is
   * over), it saves allocating and faulting in a model-sized delta.
   */
  resultInPlace(current: ModelParams): ModelUpdate {
    return this.difference(current, true);
  }

  private difference(current: ModelParams, inPlace: boolean): ModelUpdate {
    const delta = new Map<string, TensorValue>();
    for (const [name, baseTensor] of this.base) {
      const now = current.get(name)!;
      if (this.denseNames.has(name)) {
        const from = now.values;
        const base = baseTensor.values;
        const values = inPlace ? from : new Float32Array(from.length);
        for (let i = 0; i < values.length; i++) values[i] = from[i] - base[i];
        delta.set(name, dense(baseTensor.shape, values));
        continue;
      }
      const track = this.sparse.get(name);
      if (!track) continue;
      const width = rowSize(baseTensor.shape);
      const from = now.values;
      const base = baseTensor.values;
      let count = 0;
      for (let r = 0; r < track.weights.length; r++) if (track.weights[r] > 0) count++;
      const rows = new Uint32Array(count);
      const rowWeights = new Float32Array(count);
      const values = new Float32Array(count * width);
      let k = 0;
      for (let r = 0; r < track.weights.length; r++) {
        if (!(track.weights[r] > 0)) continue;
        rows[k] = r;
        rowWeights[k] = track.weights[r];
        const off = r * width;
        for (let j = 0; j < width; j++) values[k * width + j] = from[off + j] - base[off + j];
        k++;
      }
      delta.set(name, { kind: 'sparse', shape: baseTensor.shape, rows, values, rowWeights });
    }
    const weight = this.iterations > 0 ? this.weightSum / this.iterations : 0;
    return { delta, weight, metrics: { ...this.metricSums } };
  }
}
