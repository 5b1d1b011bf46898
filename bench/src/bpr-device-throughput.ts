// Local BPR-MF training speed of devices as a round runs them (each device: `localSteps` epochs over its user's
// positives against the global item table), in triples a second. The same code measures Node and a browser's
// Web Worker (browser-device-bench.ts bundles it), so the two figures differ only by where they ran.

import type { ModelParams } from '@strata/shared';
import type { BprMfDevice } from '@strata/tasks/browser';

export interface ThroughputSample {
  readonly triples: number;
  readonly seconds: number;
}

/** One pass: every device trains once on `model`; the BPR triples they stepped and the seconds it took. */
export async function bprDevicePass(devices: readonly BprMfDevice[], model: ModelParams, localSteps: number): Promise<ThroughputSample> {
  const options = { round: 1, localSteps, options: {} };
  let triples = 0;
  const started = performance.now();
  for (const device of devices) {
    await device.train(model, options);
    triples += device.numSamples * localSteps;
  }
  return { triples, seconds: (performance.now() - started) / 1000 };
}

/** Triples a second of each of `passes` passes, after one warm-up pass (the JIT). */
export async function bprDeviceThroughput(
  devices: readonly BprMfDevice[],
  model: ModelParams,
  localSteps: number,
  passes: number,
): Promise<number[]> {
  await bprDevicePass(devices, model, localSteps);
  const rates: number[] = [];
  for (let pass = 0; pass < passes; pass++) {
    const { triples, seconds } = await bprDevicePass(devices, model, localSteps);
    rates.push(triples / seconds);
  }
  return rates;
}
