// The control plane: named queues of jobs, and flows (a parent job with one child per region, as BullMQ
// flows). The coordinator adds a flow per cloud round and waits for its children until a deadline; edge
// workers process the children on their region's queue. Failed children are retried with exponential
// backoff; a child that exhausts its attempts does not block its parent (BullMQ's ignoreDependencyOnFailure).
// In memory for the embedded default; BullMQ on Redis in the distributed runtime. Both pass
// shared/src/testing/job-queue-contract.ts.

import { isDeepStrictEqual } from 'node:util';
import { FlowProducer, Job as BullJob, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { ConfigError } from '../errors.js';
import { systemClock, type Clock, type TimerHandle } from './clock.js';
import { DEFAULT_REDIS_URL } from './blob-store.js';

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
  if (!isDeepStrictEqual(JSON.parse(json), data)) {
    throw new ConfigError(`${what} does not survive JSON unchanged (typed arrays, dates, undefined or non-finite numbers?): ${json.slice(0, 200)}`);
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

interface MemoryJob extends Job {
  readonly spec: JobSpec;
  readonly parentId?: string;
  state: 'waiting' | 'active' | 'completed' | 'failed';
  result?: JobData;
  error?: string;
}

export class InMemoryJobQueue implements JobQueue {
  private nextId = 1;
  private readonly jobs = new Map<string, MemoryJob>();
  private readonly waiting = new Map<string, MemoryJob[]>();
  private readonly workers = new Map<string, Set<MemoryWorker>>();
  private readonly flowWatchers = new Map<string, Set<() => void>>();
  private readonly timers = new Set<TimerHandle>();

  /** `clock` times deadlines and retry backoff (the simulator passes a virtual one). */
  constructor(private readonly clock: Clock = systemClock) {}

  async addFlow(parent: JobSpec, children: readonly JobSpec[]): Promise<string> {
    for (const spec of [parent, ...children]) {
      checkJobData(spec.data, `data of job ${spec.name} on ${spec.queue}`);
      checkJobId(spec.id);
    }
    if (parent.id !== undefined && this.jobs.has(parent.id)) return parent.id;
    const parentJob = this.createJob(parent, undefined);
    for (const child of children) this.enqueue(this.createJob(child, parentJob.id));
    return parentJob.id;
  }

  waitForFlow(parentId: string, deadline: number): Promise<ChildOutcome[]> {
    return new Promise((resolve) => {
      const finish = (): void => {
        this.clock.clearTimeout(timer);
        this.flowWatchers.get(parentId)?.delete(check);
        resolve(this.outcomes(parentId));
      };
      const check = (): void => {
        if (this.outcomes(parentId).every((c) => c.state !== 'pending')) finish();
      };
      const timer = this.clock.setTimeout(finish, Math.max(0, deadline - this.clock.now()));
      if (!this.flowWatchers.has(parentId)) this.flowWatchers.set(parentId, new Set());
      this.flowWatchers.get(parentId)!.add(check);
      check();
    });
  }

  process(queue: string, processor: JobProcessor): QueueWorker {
    const worker = new MemoryWorker(queue, processor, this);
    if (!this.workers.has(queue)) this.workers.set(queue, new Set());
    this.workers.get(queue)!.add(worker);
    this.dispatch(queue);
    return worker;
  }

  async close(): Promise<void> {
    for (const timer of this.timers) this.clock.clearTimeout(timer);
    this.timers.clear();
    for (const set of this.workers.values()) for (const w of set) w.closed = true;
    this.workers.clear();
  }

  /** @internal */
  removeWorker(worker: MemoryWorker): void {
    this.workers.get(worker.queue)?.delete(worker);
  }

  /** @internal Runs the next waiting job of `queue` on an idle worker, if both exist. */
  dispatch(queue: string): void {
    const idle = [...(this.workers.get(queue) ?? [])].filter((w) => !w.busy && !w.closed);
    const pending = this.waiting.get(queue) ?? [];
    while (idle.length > 0 && pending.length > 0) {
      const worker = idle.shift()!;
      const job = pending.shift()!;
      void this.run(worker, job);
    }
  }

  private async run(worker: MemoryWorker, job: MemoryJob): Promise<void> {
    worker.busy = true;
    job.state = 'active';
    try {
      const result = await worker.processor(job);
      checkJobData(result, `result of job ${job.name} on ${job.queue}`);
      job.result = result;
      job.state = 'completed';
    } catch (error) {
      job.error = error instanceof Error ? error.message : String(error);
      const attempts = job.spec.attempts ?? 3;
      if (job.attempt < attempts) {
        const delay = (job.spec.backoffMs ?? 200) * 2 ** (job.attempt - 1);
        const retry: MemoryJob = { ...job, attempt: job.attempt + 1, state: 'waiting' };
        this.jobs.set(job.id, retry);
        const timer = this.clock.setTimeout(() => {
          this.timers.delete(timer);
          this.enqueue(retry);
        }, delay);
        this.timers.add(timer);
      } else {
        job.state = 'failed';
      }
    } finally {
      worker.busy = false;
      if (job.parentId) this.notify(job.parentId);
      this.dispatch(worker.queue);
    }
  }

  private createJob(spec: JobSpec, parentId: string | undefined): MemoryJob {
    const job: MemoryJob = {
      id: spec.id ?? String(this.nextId++), queue: spec.queue, name: spec.name, data: spec.data, attempt: 1, spec,
      parentId, state: 'waiting',
    };
    this.jobs.set(job.id, job);
    return job;
  }

  private enqueue(job: MemoryJob): void {
    if (!this.waiting.has(job.queue)) this.waiting.set(job.queue, []);
    this.waiting.get(job.queue)!.push(job);
    this.dispatch(job.queue);
  }

  private outcomes(parentId: string): ChildOutcome[] {
    return [...this.jobs.values()]
      .filter((job) => job.parentId === parentId)
      .map((job) => ({
        name: job.name, queue: job.queue, data: job.data,
        state: job.state === 'completed' || job.state === 'failed' ? job.state : 'pending',
        result: job.result, error: job.error,
      }));
  }

  private notify(parentId: string): void {
    for (const check of [...(this.flowWatchers.get(parentId) ?? [])]) check();
  }
}

class MemoryWorker implements QueueWorker {
  busy = false;
  closed = false;

  constructor(readonly queue: string, readonly processor: JobProcessor, private readonly owner: InMemoryJobQueue) {}

  async close(): Promise<void> {
    this.closed = true;
    this.owner.removeWorker(this);
  }
}

export interface BullMqJobQueueOptions {
  /** Where Redis listens (default redis://127.0.0.1:6379). */
  readonly url?: string;
  /** BullMQ's key prefix (default `strata`): deployments, and tests, sharing one Redis keep apart by it. */
  readonly prefix?: string;
  /**
   * How long a worker's hold on a job lasts without renewal (default 30 s; renewed every half of it while the
   * job runs). A worker that dies is noticed within about lockDurationMs + stalledIntervalMs, and its job
   * goes back to the queue for another worker; a worker whose event loop is blocked for longer than this
   * loses its job the same way.
   */
  readonly lockDurationMs?: number;
  /** How often each worker looks for jobs whose lock expired (default 15 s). */
  readonly stalledIntervalMs?: number;
  /** Times a job may stall (its worker died) and be restarted before it fails for good (default 1). */
  readonly maxStalledCount?: number;
  /** How often waitForFlow reads its children's states (default 100 ms). */
  readonly pollIntervalMs?: number;
  /** How long finished jobs stay readable (default one day): a restarted coordinator can still collect them. */
  readonly keepFinishedSeconds?: number;
  /** Where worker errors go (lost Redis connection, lock lost); default: process warnings. */
  readonly onError?: (error: Error, queue: string) => void;
}

/** A BullMQ worker; `close(true)` stops at once, leaving its job to be recovered as if the process died. */
export type BullMqQueueWorker = QueueWorker;

/**
 * Jobs and flows on Redis with BullMQ. Parent ids are `<queue>:<job id>` (BullMQ ids are per queue and queue
 * names cannot contain ':'), so any process holding an id can wait for the flow: a restarted coordinator
 * resumes waiting for the round it had started.
 *
 * A BullMQ parent becomes an ordinary waiting job once its children have settled, and would wait forever
 * (and never expire) if nobody processed it. So the process that adds or waits for flows runs a worker on
 * each parent queue that completes parents at once: completing one is also the moment to wake the waiters of
 * its flow, and completed parents (with their children's results) expire after keepFinishedSeconds.
 */
export class BullMqJobQueue implements JobQueue {
  private readonly url: string;
  private readonly prefix: string;
  private readonly settings: Required<Omit<BullMqJobQueueOptions, 'url' | 'prefix' | 'onError'>>;
  private readonly onError: (error: Error, queue: string) => void;
  /** One connection for producing and reading (workers open their own, as their fetches block). */
  private readonly redis: Redis;
  private readonly flows: FlowProducer;
  private readonly queues = new Map<string, Queue>();
  private readonly workers = new Set<Worker>();
  /** The workers completing parents, by parent queue. */
  private readonly parentWorkers = new Map<string, Worker>();
  private readonly waits = new Set<() => void>();
  private closing: Promise<void> | undefined;

  constructor(options: BullMqJobQueueOptions = {}) {
    this.url = options.url ?? DEFAULT_REDIS_URL;
    this.prefix = options.prefix ?? 'strata';
    this.settings = {
      lockDurationMs: options.lockDurationMs ?? 30_000,
      stalledIntervalMs: options.stalledIntervalMs ?? 15_000,
      maxStalledCount: options.maxStalledCount ?? 1,
      pollIntervalMs: options.pollIntervalMs ?? 100,
      keepFinishedSeconds: options.keepFinishedSeconds ?? 24 * 3600,
    };
    for (const [key, value] of Object.entries(this.settings)) {
      const least = key === 'maxStalledCount' ? 0 : 1;
      if (!Number.isSafeInteger(value) || value < least) throw new ConfigError(`BullMqJobQueue option ${key} must be an integer >= ${least}, got ${value}`);
    }
    if (this.prefix.length === 0 || this.prefix.endsWith(':')) {
      throw new ConfigError(`BullMqJobQueue prefix must be non-empty and not end with ':', got '${this.prefix}'`);
    }
    this.onError = options.onError ?? ((error, queue) => process.emitWarning(`BullMQ worker on queue ${queue}: ${error.message}`));
    // BullMQ's blocking and retrying commands need ioredis to keep retrying rather than fail a command.
    this.redis = new Redis(this.url, { maxRetriesPerRequest: null });
    this.flows = new FlowProducer({ connection: this.redis, prefix: this.prefix });
  }

  async addFlow(parent: JobSpec, children: readonly JobSpec[]): Promise<string> {
    for (const spec of [parent, ...children]) {
      checkQueueName(spec.queue);
      checkJobData(spec.data, `data of job ${spec.name} on ${spec.queue}`);
      checkJobId(spec.id);
    }
    this.completeParents(parent.queue);
    const keep = { age: this.settings.keepFinishedSeconds };
    const node = await this.flows.add({
      name: parent.name,
      queueName: parent.queue,
      data: parent.data,
      // A parent or child whose id exists is not added again (BullMQ keeps the existing job).
      opts: { removeOnComplete: keep, removeOnFail: keep, ...(parent.id !== undefined ? { jobId: parent.id } : {}) },
      children: children.map((child) => ({
        name: child.name,
        queueName: child.queue,
        data: child.data,
        opts: {
          ...(child.id !== undefined ? { jobId: child.id } : {}),
          attempts: child.attempts ?? 3,
          backoff: { type: 'exponential', delay: child.backoffMs ?? 200 },
          // A child that fails for good is set aside: its parent neither fails nor waits for it.
          ignoreDependencyOnFailure: true,
          removeOnComplete: keep,
          removeOnFail: keep,
        },
      })),
    });
    return `${parent.queue}:${node.job.id}`;
  }

  async waitForFlow(parentId: string, deadline: number): Promise<ChildOutcome[]> {
    const split = parentId.indexOf(':');
    if (split > 0 && !this.closing) this.completeParents(parentId.slice(0, split));
    for (;;) {
      const outcomes = await this.outcomes(parentId);
      const left = deadline - Date.now();
      if (left <= 0 || outcomes.every((o) => o.state !== 'pending') || this.closing) return outcomes;
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          this.waits.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(this.settings.pollIntervalMs, left));
        this.waits.add(wake);
      });
    }
  }

  process(queue: string, processor: JobProcessor): BullMqQueueWorker {
    checkQueueName(queue);
    const worker = new Worker(
      queue,
      async (job: BullJob) => {
        // attemptsStarted counts a start that a dead worker never finished, so a recovered job says so.
        const result = await processor({
          id: String(job.id), queue, name: job.name, data: job.data as JobData, attempt: Math.max(1, job.attemptsStarted),
        });
        checkJobData(result, `result of job ${job.name} on ${queue}`);
        return result;
      },
      {
        connection: { url: this.url, maxRetriesPerRequest: null },
        prefix: this.prefix,
        concurrency: 1,
        lockDuration: this.settings.lockDurationMs,
        stalledInterval: this.settings.stalledIntervalMs,
        maxStalledCount: this.settings.maxStalledCount,
      },
    );
    worker.on('error', (error) => this.onError(error, queue));
    this.workers.add(worker);
    return {
      close: async (force = false) => {
        this.workers.delete(worker);
        await worker.close(force);
      },
    };
  }

  /** Closes workers (each finishing its current job), then the producer and its connection. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const wake of [...this.waits]) wake();
      await Promise.all([...this.workers, ...this.parentWorkers.values()].map((worker) => worker.close()));
      this.workers.clear();
      this.parentWorkers.clear();
      await Promise.all([...this.queues.values()].map((queue) => queue.close()));
      await this.flows.close();
      if (this.redis.status !== 'end') await this.redis.quit();
    })();
    return this.closing;
  }

  /** Starts (once per queue) the worker that completes the parents on `queue` and wakes their waiters. */
  private completeParents(queue: string): void {
    if (this.parentWorkers.has(queue)) return;
    const worker = new Worker(
      queue,
      async () => {
        for (const wake of [...this.waits]) wake();
        return {};
      },
      { connection: { url: this.url, maxRetriesPerRequest: null }, prefix: this.prefix, concurrency: 16 },
    );
    worker.on('error', (error) => this.onError(error, queue));
    this.parentWorkers.set(queue, worker);
  }

  private queue(name: string): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.redis, prefix: this.prefix });
      this.queues.set(name, queue);
    }
    return queue;
  }

  /** Each child of the parent with its state now; [] for an unknown parent. */
  private async outcomes(parentId: string): Promise<ChildOutcome[]> {
    const split = parentId.indexOf(':');
    if (split <= 0) return [];
    const parent = await BullJob.fromId(this.queue(parentId.slice(0, split)), parentId.slice(split + 1));
    if (!parent) return [];
    const { processed = {}, unprocessed = [], ignored = {}, failed = [] } = await parent.getDependencies();
    const keys = [...Object.keys(processed), ...unprocessed, ...Object.keys(ignored), ...failed];
    const outcomes = await Promise.all(keys.map((key) => this.childOutcome(key)));
    return outcomes.filter((o): o is ChildOutcome => o !== undefined);
  }

  private async childOutcome(key: string): Promise<ChildOutcome | undefined> {
    // A dependency key is `<prefix>:<queue>:<id>`, and neither queue names nor ids contain ':'.
    const [queueName, id] = key.slice(this.prefix.length + 1).split(':');
    // The state first: a job read after it was seen completed carries its result (read the other way
    // round, a job finishing in between would be reported completed without one).
    const state = await this.queue(queueName).getJobState(id);
    const job = await BullJob.fromId(this.queue(queueName), id);
    if (!job) return undefined; // removed after keepFinishedSeconds
    const base = { name: job.name, queue: queueName, data: job.data as JobData };
    if (state === 'completed') return { ...base, state, result: job.returnvalue as JobData };
    if (state === 'failed') return { ...base, state, error: job.failedReason };
    return { ...base, state: 'pending' };
  }
}

function checkQueueName(queue: string): void {
  if (queue.length === 0 || queue.includes(':')) throw new ConfigError(`queue name must be non-empty and free of ':', got '${queue}'`);
}
