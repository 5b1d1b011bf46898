// Local training speed of devices built from their data (as a browser device page builds them), as a round runs
// them: every device trains once on the model, in work units a second (BPR triples, voxel-grid rays; the
// device's own count, the one its page shows). The same code measures Node and a browser's Web Worker
// (browser-device-bench.ts bundles it), so the two figures differ only by where they ran. The jobs travel to
// the worker as JSON, the model's tensors as base64 float32.

import { dense, type LocalTrainOptions, type ModelParams } from '@strata/shared';
import { base64ToFloat32, float32ToBase64, type DataDevice } from '@strata/tasks/browser';

export interface EncodedTensor {
  readonly name: string;
  readonly shape: number[];
  readonly values: string;
}

/** One measurement: devices (their data), the model they train from and the round's options. */
export interface ThroughputJob {
  readonly label: string;
  readonly devices: readonly unknown[];
  readonly model: readonly EncodedTensor[];
  readonly options: LocalTrainOptions;
}

export interface PassSample {
  readonly work: number;
  readonly seconds: number;
}

export function encodeModel(model: ModelParams): EncodedTensor[] {
  return [...model].map(([name, tensor]) => {
    if (tensor.kind !== 'dense') throw new Error(`device throughput: tensor ${name} is not dense`);
    return { name, shape: [...tensor.shape], values: float32ToBase64(tensor.values) };
  });
}

function decodeModel(tensors: readonly EncodedTensor[]): ModelParams {
  const count = (shape: number[]): number => shape.reduce((n, d) => n * d, 1);
  return new Map(tensors.map((t) => [t.name, dense(t.shape, base64ToFloat32(t.values, count(t.shape), t.name))]));
}

/** A job's pass, ready to run again and again: every device trains once on the model; the work and the seconds. */
export function preparePass(job: ThroughputJob, build: (data: unknown) => DataDevice): () => Promise<PassSample> {
  const devices = job.devices.map(build);
  const model = decodeModel(job.model);
  return async () => {
    let work = 0;
    const started = performance.now();
    for (const device of devices) work += device.work(await device.trainer.train(model, job.options), job.options);
    return { work, seconds: (performance.now() - started) / 1000 };
  };
}
