// Drives a DashboardState as edges do (their live batches), without running edges: many devices in a few lines.

import type { EdgeLiveEvent } from '@strata/shared';
import type { DashboardState } from '../src/server/index.js';

export class EdgeLiveReporterLike {
  constructor(
    private readonly state: DashboardState,
    readonly nodeId: string,
    readonly region: string,
  ) {}

  connect(ids: readonly string[]): void {
    this.send(ids.map((deviceId) => ({ kind: 'peer', at: Date.now(), deviceId, connected: true })));
  }

  request(round: number, ids: readonly string[]): void {
    const at = Date.now();
    this.send([
      { kind: 'job-started', at, job: 'edge-round', round },
      { kind: 'requests', at, job: 'edge-round', round, iteration: 1, deviceIds: ids },
    ]);
  }

  reply(round: number, ids: readonly string[]): void {
    this.send(ids.map((deviceId) => ({ kind: 'reply', at: Date.now(), job: 'edge-round', round, deviceId, ok: true })));
  }

  finish(round: number, answered: number): void {
    this.send([
      {
        kind: 'job-finished',
        at: Date.now(),
        job: 'edge-round',
        round,
        outcome: 'done',
        seconds: 1,
        participation: {
          selected: answered,
          answered,
          dropped: 0,
          failed: 0,
          rejected: {},
          clipped: {},
          bytesDown: 0,
          bytesUp: 0,
          bytesControl: 0,
          bytesFetched: 0,
        },
      },
    ]);
  }

  private send(events: EdgeLiveEvent[]): void {
    this.state.edgeBatch({ region: this.region, nodeId: this.nodeId, at: Date.now(), events });
  }
}
