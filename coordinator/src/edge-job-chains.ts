// An asynchronous cloud's edge jobs: one `edge-round` job per region at a time, each as a flow of one child
// (parent on the cloud queue, child on the region's queue) so that it has the flows' ids, deadline, retries
// and resume, and the coordinator waits for whichever region answers first instead of for all of them.

import {
  CLOUD_QUEUE,
  type ChildOutcome,
  type Clock,
  type EdgeJobInFlight,
  type EdgeRoundJob,
  type JobQueue,
  type TimerHandle,
  regionQueue,
} from '@strata/shared';

/** A region's job that finished (completed, failed for good, or still pending at its own deadline). */
export interface FinishedEdgeJob {
  readonly job: EdgeJobInFlight;
  readonly outcome: ChildOutcome;
}

export class EdgeJobChains {
  /** Waits for the jobs added (or found again after a restart) by this coordinator, by flow id. */
  private readonly waits = new Map<string, Promise<FinishedEdgeJob>>();

  constructor(
    private readonly queue: JobQueue,
    private readonly clock: Clock,
  ) {}

  /** Whether this coordinator is waiting for `job` (false for a job a predecessor added, until `add`). */
  has(job: EdgeJobInFlight): boolean {
    return this.waits.has(job.flowId);
  }

  /**
   * Adds `job`'s flow (nothing when a predecessor added it: the ids are the saved ones) and starts waiting for
   * it. Save the job in the state before calling this, as a flow is saved before it is added.
   */
  async add(job: EdgeJobInFlight, data: EdgeRoundJob): Promise<void> {
    const parentId = await this.queue.addFlow(
      { queue: CLOUD_QUEUE, name: 'cloud-edge-round', data: { roundId: job.roundId, region: job.region }, id: job.flowId },
      [{ queue: regionQueue(job.region), name: 'edge-round', data: { ...data }, id: `${job.flowId}-0` }],
    );
    const wait = this.queue.waitForFlow(parentId, job.deadline).then((outcomes) => ({ job, outcome: outcomes[0] }));
    this.waits.set(job.flowId, wait);
  }

  /**
   * The first of `jobs` (all added) to finish, in the order given when several have: undefined when none has by
   * `deadline` (epoch ms on the clock). Throws when `signal` is aborted meanwhile.
   */
  async next(jobs: readonly EdgeJobInFlight[], deadline: number, signal?: AbortSignal): Promise<FinishedEdgeJob | undefined> {
    let timer: TimerHandle | undefined;
    let onAbort: (() => void) | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = this.clock.setTimeout(() => resolve(undefined), Math.max(0, deadline - this.clock.now()));
    });
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    try {
      signal?.throwIfAborted();
      const waits = jobs.map((job) => {
        const wait = this.waits.get(job.flowId);
        if (!wait) throw new RangeError(`edge job ${job.flowId} was never added`);
        return wait;
      });
      return await Promise.race([...waits, timeout, aborted]);
    } finally {
      if (timer !== undefined) this.clock.clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Stops tracking a collected job. */
  forget(job: EdgeJobInFlight): void {
    this.waits.delete(job.flowId);
  }
}
