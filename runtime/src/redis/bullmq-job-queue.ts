// The distributed job queue: jobs and flows on Redis with BullMQ (same contract as the in-memory queue).

import { FlowProducer, Job as BullJob, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import {
  checkJobData,
  checkJobId,
  checkQueueName,
  ConfigError,
  StrataError,
  type ChildOutcome,
  type JobData,
  type JobProcessor,
  type JobQueue,
  type JobSpec,
  type QueueWorker,
} from '@strata/shared';
import { DEFAULT_REDIS_URL } from './redis-url.js';

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
  /** Counts parent completions: a waiter compares it across its read so a completion during the read is not missed. */
  private completions = 0;
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
      if (!Number.isSafeInteger(value) || value < least)
        throw new ConfigError(`BullMqJobQueue option ${key} must be an integer >= ${least}, got ${value}`);
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
    // After close() nothing may open connections again (a parent worker here would keep the process alive).
    if (this.closing) throw new StrataError('STRATA_ERR_QUEUE_CLOSED', `cannot add flow ${parent.id ?? parent.name}: the queue is closed`);
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
      const seen = this.completions;
      const outcomes = await this.outcomes(parentId);
      const left = deadline - Date.now();
      if (left <= 0 || outcomes.every((o) => o.state !== 'pending') || this.closing) return outcomes;
      if (this.completions !== seen) continue; // a parent completed while we read: read again
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
    if (this.closing) throw new StrataError('STRATA_ERR_QUEUE_CLOSED', `cannot process ${queue}: the queue is closed`);
    checkQueueName(queue);
    const worker = new Worker(
      queue,
      async (job: BullJob) => {
        // attemptsStarted counts a start that a dead worker never finished, so a recovered job says so.
        const result = await processor({
          id: String(job.id),
          queue,
          name: job.name,
          data: job.data as JobData,
          attempt: Math.max(1, job.attemptsStarted),
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
        this.completions++;
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
