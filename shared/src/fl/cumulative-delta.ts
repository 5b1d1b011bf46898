// What an edge sends up after κ2 edge iterations: its model minus the global model it started from. Dense
// tensors are subtracted whole; tensors that only ever arrived as sparse rows stay sparse, covering the rows
// any iteration touched, with each row's weights summed over the iterations; rows only ever held back by
// the devices (zero rows, see SparseRows) stay zero rows with their weights, for the cloud's mean.

import { dense, rowSize, type ModelParams, type ModelUpdate, type TensorValue } from './model.js';

interface SparseTrack {
  readonly weights: Float32Array;
  /** Weight of the rows held back and sent by nobody in an iteration (allocated by the first such row). */
  zeroWeights?: Float32Array;
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
      const zeroRows = tensor.zeroRows;
      if (!zeroRows || zeroRows.length === 0) continue;
      track.zeroWeights ??= new Float32Array(baseTensor.shape[0]);
      for (let k = 0; k < zeroRows.length; k++) {
        track.zeroWeights[zeroRows[k]] += tensor.zeroRowWeights ? tensor.zeroRowWeights[k] : combined.weight;
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
      const zeroWeights = track.zeroWeights;
      let count = 0;
      let zeroCount = 0;
      for (let r = 0; r < track.weights.length; r++) {
        if (track.weights[r] > 0) count++;
        else if (zeroWeights && zeroWeights[r] > 0) zeroCount++;
      }
      const rows = new Uint32Array(count);
      const rowWeights = new Float32Array(count);
      const values = new Float32Array(count * width);
      const zeroRows = new Uint32Array(zeroCount);
      const zeroRowWeights = new Float32Array(zeroCount);
      let k = 0;
      let z = 0;
      for (let r = 0; r < track.weights.length; r++) {
        if (!(track.weights[r] > 0)) {
          if (zeroWeights && zeroWeights[r] > 0) {
            zeroRows[z] = r;
            zeroRowWeights[z++] = zeroWeights[r];
          }
          continue;
        }
        rows[k] = r;
        // A row sent in one iteration and only held back in another: its weight is both.
        rowWeights[k] = track.weights[r] + (zeroWeights ? zeroWeights[r] : 0);
        const off = r * width;
        for (let j = 0; j < width; j++) values[k * width + j] = from[off + j] - base[off + j];
        k++;
      }
      const held = zeroCount > 0 ? { zeroRows, zeroRowWeights } : {};
      delta.set(name, { kind: 'sparse', shape: baseTensor.shape, rows, values, rowWeights, ...held });
    }
    const weight = this.iterations > 0 ? this.weightSum / this.iterations : 0;
    return { delta, weight, metrics: { ...this.metricSums } };
  }
}
