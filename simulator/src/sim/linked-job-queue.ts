// An edge's view of the job queue in a simulation: the queue lives in the cloud, so a job reaches the edge
// only after its data has crossed the edge-cloud route, and its result reaches the cloud only after crossing
// back. Everything else is the shared queue's.

import type { ChildOutcome, JobData, JobProcessor, JobQueue, JobSpec, QueueWorker } from '@strata/shared';
import type { Route, SimNetwork } from './sim-network.js';

export class LinkedJobQueue implements JobQueue {
  constructor(private readonly inner: JobQueue, private readonly network: SimNetwork, private readonly route: Route) {}

  addFlow(parent: JobSpec, children: readonly JobSpec[]): Promise<string> {
    return this.inner.addFlow(parent, children);
  }

  waitForFlow(parentId: string, deadline: number): Promise<ChildOutcome[]> {
    return this.inner.waitForFlow(parentId, deadline);
  }

  process(queue: string, processor: JobProcessor): QueueWorker {
    return this.inner.process(queue, async (job) => {
      await this.network.carry(this.route, 'down', jsonBytes(job.data));
      const result = await processor(job);
      await this.network.carry(this.route, 'up', jsonBytes(result));
      return result;
    });
  }

  /** The shared queue is closed by its owner. */
  async close(): Promise<void> {}
}

function jsonBytes(data: JobData): number {
  return Buffer.byteLength(JSON.stringify(data));
}
