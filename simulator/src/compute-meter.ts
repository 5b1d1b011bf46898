// How long a simulated device computes: its trainer is wrapped so that each training charges the work it
// does (samples × local steps × the device's seconds per sample) to the request being answered. The charge
// travels with the request through the device's real code by AsyncLocalStorage, so neither the device client
// nor the task needs to know it is simulated.

import { AsyncLocalStorage } from 'node:async_hooks';
import type { DeviceTrainer, EvaluationSums, LocalTrainOptions, ModelParams, ModelUpdate } from '@strata/shared';

/** The simulated compute seconds charged while answering one request. */
export class ComputeMeter {
  seconds = 0;
}

const current = new AsyncLocalStorage<ComputeMeter>();

/** Runs `work` with `meter` collecting the compute charged inside it (however deep, across awaits). */
export function meterCompute<T>(meter: ComputeMeter, work: () => T): T {
  return current.run(meter, work);
}

/** Charges simulated compute time to the request being answered, if any. */
export function chargeCompute(seconds: number): void {
  const meter = current.getStore();
  if (meter) meter.seconds += seconds;
}

/** A device's trainer that charges simulated compute time for each training. */
export class MeteredTrainer implements DeviceTrainer {
  /** Evaluation is not charged (the simulator measures accuracy outside simulated time); present when the inner trainer's is. */
  readonly evaluate?: (model: ModelParams) => Promise<EvaluationSums>;

  constructor(
    private readonly inner: DeviceTrainer,
    /** Seconds one training sample takes per local step on this device. */
    private readonly secondsPerSample: number,
    private readonly onTrained?: () => void,
  ) {
    if (inner.evaluate) this.evaluate = (model) => inner.evaluate!(model);
  }

  get numSamples(): number {
    return this.inner.numSamples;
  }

  async train(model: ModelParams, options: LocalTrainOptions): Promise<ModelUpdate> {
    chargeCompute(this.secondsPerSample * this.inner.numSamples * options.localSteps);
    const update = await this.inner.train(model, options);
    this.onTrained?.();
    return update;
  }
}
