// The browser side of browser-device-bench.ts, bundled for a Web Worker: builds the devices from their data
// (as a browser device page does), measures them with the same code as Node and posts the rates back.

import { dense } from '@strata/shared';
import { ITEM_EMBEDDING, recsysDeviceFromData, type BprMfDevice } from '@strata/tasks/browser';
import { bprDeviceThroughput } from '../bpr-device-throughput.js';

export interface BenchRequest {
  readonly devices: readonly unknown[];
  readonly table: Float32Array;
  readonly shape: readonly [number, number];
  readonly localSteps: number;
  readonly passes: number;
}

interface WorkerScope {
  postMessage(message: { rates: number[] } | { error: string }): void;
  onmessage: ((event: { data: BenchRequest }) => void) | null;
}
const scope = globalThis as unknown as WorkerScope;

scope.onmessage = ({ data }) => {
  const devices = data.devices.map((device) => recsysDeviceFromData(device) as BprMfDevice);
  const model = new Map([[ITEM_EMBEDDING, dense([...data.shape], data.table)]]);
  bprDeviceThroughput(devices, model, data.localSteps, data.passes).then(
    (rates) => scope.postMessage({ rates }),
    (error: unknown) => scope.postMessage({ error: String(error) }),
  );
};
