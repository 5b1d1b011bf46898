// The browser side of browser-device-bench.ts, bundled for a Web Worker: fetches the jobs, builds each job's
// devices from their data (as a browser device page does), measures them with the same code as Node and posts
// the rates back.

import { deviceFromData } from '@strata/tasks/browser';
import { runThroughputJob, type ThroughputJob } from '../device-throughput.js';

export type WorkerReply = { readonly rates: number[][] } | { readonly error: string };

interface WorkerScope {
  postMessage(message: WorkerReply): void;
  onmessage: ((event: { data: string }) => void) | null;
}
const scope = globalThis as unknown as WorkerScope;

async function measure(url: string): Promise<number[][]> {
  const jobs = (await (await fetch(url)).json()) as ThroughputJob[];
  const rates: number[][] = [];
  for (const job of jobs) rates.push(await runThroughputJob(job, deviceFromData));
  return rates;
}

scope.onmessage = ({ data: url }) => {
  measure(url).then(
    (rates) => scope.postMessage({ rates }),
    (error: unknown) => scope.postMessage({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
  );
};
