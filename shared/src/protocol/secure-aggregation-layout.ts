// What the edge and its devices derive alike for one secure-aggregation session: the masked vector's
// layout (from the model both hold, the setup and the roster) and the weight cap a task's limits give.
//
// Tensors that devices send as sparse rows (each device says which in its keys message; the roster lists
// the union) are laid out row-weighted: the whole table, dense, plus one weight word per row. A device's
// vector then has the same length and, masked, looks the same whatever rows it touched, and the edge reads
// each row's weighted mean over the devices that held it, exactly as the plaintext sparse mean does. The
// price is the dense table (against the rows a device touched) and one word per row. Dense tensors take
// one word a value.

import type { ModelParams } from '../fl/model.js';
import { FixedPointCodec } from '../privacy/secagg/fixed-point-codec.js';
import { MaskedVectorLayout } from '../privacy/secagg/masked-vector-layout.js';
import type { SecAggSession } from '../privacy/secagg/secagg-session.js';
import type { TaskLimits } from '../task/task-limits.js';
import type { SecAggSetup } from './secure-aggregation-frames.js';

/** The layout of a session over `parties` devices whose updates carry `metricNames`. */
export function secureLayout(
  model: ModelParams,
  setup: SecAggSetup,
  names: { readonly metricNames: readonly string[]; readonly sparseTensors: readonly string[] },
  parties: number,
): MaskedVectorLayout {
  const { metricNames, sparseTensors } = names;
  const codec = new FixedPointCodec({ clipRange: setup.clipRange, maxParties: parties });
  const tensors = [...model.keys()]
    .sort()
    .map((name) => ({ name, shape: model.get(name)!.shape, rowWeighted: sparseTensors.includes(name) }));
  const metrics = metricNames.map((name) => ({ name, bound: setup.metricBound * setup.weightCap }));
  return new MaskedVectorLayout(tensors, setup.weightCap, codec, metrics);
}

export function secAggSession(
  model: ModelParams,
  setup: SecAggSetup,
  names: { readonly metricNames: readonly string[]; readonly sparseTensors: readonly string[] },
  parties: number,
): SecAggSession {
  return {
    sessionId: setup.sessionId,
    degree: setup.degree,
    threshold: setup.threshold,
    layout: secureLayout(model, setup, names, parties),
  };
}

/** W: the most weight or row weight a device of the task may claim (weights beyond are clipped to it at the edge in the clear). */
export function secureWeightCap(limits: TaskLimits): number {
  const { maxDeviceWeight, maxRowWeight } = limits;
  return Math.max(maxDeviceWeight, maxRowWeight.base + maxRowWeight.perWeight * maxDeviceWeight);
}
