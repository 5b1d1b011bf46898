// The browser side of browser-device-bench.ts, bundled for a Web Worker: fetches the jobs and builds each job's
// devices from their data (as a browser device page does), then runs the passes it is asked for with the same
// code as Node and posts each pass's work and seconds back.

import { deviceFromData } from '@strata/tasks/browser';
import { preparePass, type PassSample, type ThroughputJob } from '../device-throughput.js';

export type WorkerRequest = { readonly load: string } | { readonly pass: number };
export type WorkerReply = { readonly ready: true } | { readonly sample: PassSample } | { readonly error: string };

interface WorkerScope {
  postMessage(message: WorkerReply): void;
  onmessage: ((event: { data: WorkerRequest }) => void) | null;
}
const scope = globalThis as unknown as WorkerScope;
let passes: (() => Promise<PassSample>)[] = [];

async function answer(request: WorkerRequest): Promise<WorkerReply> {
  if ('load' in request) {
    const jobs = (await (await fetch(request.load)).json()) as ThroughputJob[];
    passes = jobs.map((job) => preparePass(job, deviceFromData));
    return { ready: true };
  }
  return { sample: await passes[request.pass]() };
}

scope.onmessage = ({ data }) => {
  answer(data).then(
    (reply) => scope.postMessage(reply),
    (error: unknown) => scope.postMessage({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
  );
};
