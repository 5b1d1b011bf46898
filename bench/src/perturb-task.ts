// bench/perturb: a task without training, so a runtime bench measures the runtime alone. The model is one
// float32 tensor of `params` values; each device answers with a small fixed perturbation of the whole model
// (a dense delta as large as the model), computed once per device.

import { SeededRandom, dense, type DeviceTrainer, type FederatedTask, type ModelParams } from '@strata/shared';

export const PERTURB_TENSOR = 'weights';

export function perturbTask(params: number, numDevices: number): FederatedTask {
  return {
    id: 'bench/perturb',
    numDevices,
    describe: () => ({ task: 'bench/perturb', params }),
    defaultOptions: () => ({}),
    initModel: (): ModelParams => {
      const random = new SeededRandom(0).fork('perturb:model');
      return new Map([
        [
          PERTURB_TENSOR,
          dense(
            [params],
            Float32Array.from({ length: params }, () => random.normal() * 0.1),
          ),
        ],
      ]);
    },
    createDevice: (index): DeviceTrainer => {
      const random = new SeededRandom(index).fork('perturb:device');
      const delta = Float32Array.from({ length: params }, () => random.normal() * 1e-3);
      return {
        numSamples: 1,
        train: async () => ({ delta: new Map([[PERTURB_TENSOR, dense([params], delta)]]), weight: 1, metrics: {} }),
      };
    },
  };
}
