// One request to a worker thread that answers each message with one `{ ok, result }` or `{ ok: false,
// message }` reply (the grid trainer's and the frame renderer's workers): the worker is referenced only while
// the request is pending, so an idle pool never keeps the process alive.

import type { Worker } from 'node:worker_threads';
import { StrataError } from '@strata/shared';

export type WorkerReply<T> = { ok: true; result?: T } | { ok: false; message: string };

/** Posts `message` to `worker` and resolves with its reply's result; `what` names the worker in errors. */
export function workerRequest<T>(worker: Worker, message: unknown, what: string): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.unref();
    };
    const onMessage = (reply: WorkerReply<T>): void => {
      cleanup();
      if (reply.ok) resolve(reply.result);
      else reject(new StrataError('STRATA_ERR_WORKER', `${what} failed: ${reply.message}`));
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    worker.ref();
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.postMessage(message);
  });
}
