// FedAvg's combination of one tensor: the weighted mean, dense when every update sent the tensor dense,
// else per row over the updates holding the row (a dense entry holds every row).

import { dense, elementCount, type TensorValue } from '../model.js';
import { sparseWeightedMean } from './sparse-weighted-mean.js';
import { asSparseRows, type TensorGroup } from './tensor-groups.js';
import { weightedMeanInto } from './weighted-mean.js';

export function weightedMeanTensor(group: TensorGroup): TensorValue {
  const inputs = group.values;
  if (inputs.every((t) => t.kind === 'dense')) {
    const out = new Float32Array(elementCount(group.shape));
    return dense(
      group.shape,
      weightedMeanInto(
        out,
        inputs.map((t) => t.values),
        group.weights,
      ),
    );
  }
  return sparseWeightedMean(group.shape, inputs.map(asSparseRows), group.weights);
}
