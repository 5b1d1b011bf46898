// The control plane: named queues of jobs, and flows (a parent job with one child per region, as BullMQ
// flows). The coordinator adds a flow per cloud round and waits for its children until a deadline; edge
// workers process the children on their region's queue. Failed children are retried with exponential
// backoff; a child that exhausts its attempts does not block its parent (BullMQ's ignoreDependencyOnFailure).
// In memory for the embedded default (@strata/runtime embedded/), BullMQ on Redis in the distributed
// runtime (redis/). Both pass @strata/runtime/testing's job-queue contract.

import { ConfigError } from '../errors.js';
import { survivesJson } from './survives-json.js';

/** Plain JSON (ids, blob keys, small numbers), never tensors: it is stored in Redis as JSON. */
export type JobData = Record<string, unknown>;

/** Job data or a result larger than this is refused: tensors belong in the blob store. */
export const MAX_JOB_DATA_BYTES = 64 * 1024;

/**
 * Refuses what the two implementations would treat differently: values JSON does not carry unchanged
 * (typed arrays, Dates, undefined, NaN) and payloads too large for a control-plane message.
 */
export function checkJobData(data: unknown, what: string): void {
  let json: string | undefined;
  try {
    json = JSON.stringify(data);
  } catch (error) {
    throw new ConfigError(`${what} is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (json === undefined || typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new ConfigError(`${what} must be a JSON object, got ${json}`);
  }
  if (json.length > MAX_JOB_DATA_BYTES) {
    throw new ConfigError(`${what} is ${json.length} bytes of JSON, more than ${MAX_JOB_DATA_BYTES}: put large values in the blob store`);
  }
  if (!survivesJson(JSON.parse(json) as unknown, data)) {
    throw new ConfigError(
      `${what} does not survive JSON unchanged (typed arrays, dates, undefined or non-finite numbers?): ${json.slice(0, 200)}`,
    );
  }
}

export interface JobSpec {
  readonly queue: string;
  readonly name: string;
  readonly data: JobData;
  /** Total attempts before the job fails for good (default 3). */
  readonly attempts?: number;
  /** First retry delay; doubles with each retry (default 200 ms). */
  readonly backoffMs?: number;
  /**
   * The caller's id for the job (letters, digits, '-', '_'; not all digits): adding a flow whose parent id
   * exists adds nothing and returns that flow's id, so a caller that crashed around an add can add again.
   */
  readonly id?: string;
}

/** Refuses a caller-chosen job id the queues cannot use (BullMQ: no ':' and not an integer). */
export function checkJobId(id: string | undefined): void {
  if (id === undefined) return;
  if (!/^[A-Za-z0-9_-]+$/.test(id) || /^[0-9]+$/.test(id)) {
    throw new ConfigError(`job id must be letters, digits, '-' or '_' and not all digits, got '${id}'`);
  }
}

export interface Job {
  readonly id: string;
  readonly queue: string;
  readonly name: string;
  readonly data: JobData;
  /** 1 on the first attempt. */
  readonly attempt: number;
}

export type JobProcessor = (job: Job) => Promise<JobData>;

export interface ChildOutcome {
  readonly name: string;
  readonly queue: string;
  readonly data: JobData;
  readonly state: 'completed' | 'failed' | 'pending';
  readonly result?: JobData;
  readonly error?: string;
}

export interface QueueWorker {
  /**
   * Stops taking jobs and resolves once the job in progress has finished; with `force`, at once, leaving that
   * job to be recovered as if the process had died (BullMQ: once its lock expires; in memory it still runs).
   */
  close(force?: boolean): Promise<void>;
}

export interface JobQueue {
  /**
   * Adds a parent job (never handed to `process` workers) with children; returns the parent's id. When the
   * parent's `id` names a flow already added, adds nothing and returns that flow's id.
   */
  addFlow(parent: JobSpec, children: readonly JobSpec[]): Promise<string>;
  /**
   * Resolves when every child of `parentId` has completed or failed for good, or at `deadline` (epoch ms),
   * whichever comes first, with each child's state then.
   */
  waitForFlow(parentId: string, deadline: number): Promise<ChildOutcome[]>;
  /** Processes jobs of `queue` one at a time per worker until closed. */
  process(queue: string, processor: JobProcessor): QueueWorker;
  close(): Promise<void>;
}

/** Refuses a queue name the queues cannot use (BullMQ: empty or holding ':'). */
export function checkQueueName(queue: string): void {
  if (queue.length === 0 || queue.includes(':')) throw new ConfigError(`queue name must be non-empty and free of ':', got '${queue}'`);
}
