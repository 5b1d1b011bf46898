// The embedded job queue: jobs and flows in memory, processed by in-process workers, with the same retry,
// backoff and deadline semantics as the BullMQ queue (both pass the job-queue contract).

import {
  checkJobData,
  checkJobId,
  systemClock,
  type ChildOutcome,
  type Clock,
  type Job,
  type JobData,
  type JobProcessor,
  type JobQueue,
  type JobSpec,
  type QueueWorker,
  type TimerHandle,
} from '@strata/shared';

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
  /** Ends every waitForFlow in progress: closing answers them with the states then, as BullMQ's queue does. */
  private readonly waitEnds = new Set<() => void>();

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
        this.waitEnds.delete(finish);
        resolve(this.outcomes(parentId));
      };
      const check = (): void => {
        if (this.outcomes(parentId).every((c) => c.state !== 'pending')) finish();
      };
      const timer = this.clock.setTimeout(finish, Math.max(0, deadline - this.clock.now()));
      if (!this.flowWatchers.has(parentId)) this.flowWatchers.set(parentId, new Set());
      this.flowWatchers.get(parentId)!.add(check);
      this.waitEnds.add(finish);
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
    for (const end of [...this.waitEnds]) end();
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
      id: spec.id ?? String(this.nextId++),
      queue: spec.queue,
      name: spec.name,
      data: spec.data,
      attempt: 1,
      spec,
      parentId,
      state: 'waiting',
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
        name: job.name,
        queue: job.queue,
        data: job.data,
        state: job.state === 'completed' || job.state === 'failed' ? job.state : 'pending',
        result: job.result,
        error: job.error,
      }));
  }

  private notify(parentId: string): void {
    for (const check of [...(this.flowWatchers.get(parentId) ?? [])]) check();
  }
}

class MemoryWorker implements QueueWorker {
  busy = false;
  closed = false;

  constructor(
    readonly queue: string,
    readonly processor: JobProcessor,
    private readonly owner: InMemoryJobQueue,
  ) {}

  async close(): Promise<void> {
    this.closed = true;
    this.owner.removeWorker(this);
  }
}
