// An edge's view of the job queue in a simulation: the queue lives in the cloud, so a job reaches the edge
// only after crossing the edge-cloud route, and its result reaches the cloud only after crossing back.
// Everything else is the shared queue's.

import type { ChildOutcome, JobProcessor, JobQueue, JobSpec, QueueWorker } from '@strata/shared';
import type { Route, SimNetwork } from './sim-network.js';

/**
 * What one job message (its data, or its result) is charged on the wire. A nominal size, not the JSON's:
 * results carry wall-clock timings whose digits would make a simulated run differ from one run to the next,
 * and a control-plane message is small beside the model blobs either way.
 */
export const JOB_MESSAGE_BYTES = 1024;

export class LinkedJobQueue implements JobQueue {
  constructor(
    private readonly inner: JobQueue,
    private readonly network: SimNetwork,
    private readonly route: Route,
  ) {}

  addFlow(parent: JobSpec, children: readonly JobSpec[]): Promise<string> {
    return this.inner.addFlow(parent, children);
  }

  waitForFlow(parentId: string, deadline: number): Promise<ChildOutcome[]> {
    return this.inner.waitForFlow(parentId, deadline);
  }

  process(queue: string, processor: JobProcessor): QueueWorker {
    return this.inner.process(queue, async (job) => {
      await this.network.carry(this.route, 'down', JOB_MESSAGE_BYTES);
      const result = await processor(job);
      await this.network.carry(this.route, 'up', JOB_MESSAGE_BYTES);
      return result;
    });
  }

  /** The shared queue is closed by its owner. */
  async close(): Promise<void> {}
}
