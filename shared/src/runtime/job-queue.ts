// The control plane: named queues of jobs, and flows (a parent job with one child per region, as BullMQ
// flows). The coordinator adds a flow per cloud round and waits for its children until a deadline; edge
// workers process the children on their region's queue. Failed children are retried with exponential
// backoff; a child that exhausts its attempts does not block its parent (BullMQ's ignoreDependencyOnFailure).
// In memory for the embedded default; BullMQ on Redis in the distributed runtime.

export type JobData = Record<string, unknown>;

export interface JobSpec {
  readonly queue: string;
  readonly name: string;
  readonly data: JobData;
  /** Total attempts before the job fails for good (default 3). */
  readonly attempts?: number;
  /** First retry delay; doubles with each retry (default 200 ms). */
  readonly backoffMs?: number;
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
  close(): Promise<void>;
}

export interface JobQueue {
  /** Adds a parent job (stored, not processed) with children; returns the parent's id. */
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
  private readonly timers = new Set<NodeJS.Timeout>();

  async addFlow(parent: JobSpec, children: readonly JobSpec[]): Promise<string> {
    const parentJob = this.createJob(parent, undefined);
    for (const child of children) this.enqueue(this.createJob(child, parentJob.id));
    return parentJob.id;
  }

  waitForFlow(parentId: string, deadline: number): Promise<ChildOutcome[]> {
    return new Promise((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.flowWatchers.get(parentId)?.delete(check);
        resolve(this.outcomes(parentId));
      };
      const check = (): void => {
        if (this.outcomes(parentId).every((c) => c.state !== 'pending')) finish();
      };
      const timer = setTimeout(finish, Math.max(0, deadline - Date.now()));
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
    for (const timer of this.timers) clearTimeout(timer);
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
      job.result = await worker.processor(job);
      job.state = 'completed';
    } catch (error) {
      job.error = error instanceof Error ? error.message : String(error);
      const attempts = job.spec.attempts ?? 3;
      if (job.attempt < attempts) {
        const delay = (job.spec.backoffMs ?? 200) * 2 ** (job.attempt - 1);
        const retry: MemoryJob = { ...job, attempt: job.attempt + 1, state: 'waiting' };
        this.jobs.set(job.id, retry);
        const timer = setTimeout(() => {
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
      id: String(this.nextId++), queue: spec.queue, name: spec.name, data: spec.data, attempt: 1, spec,
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
