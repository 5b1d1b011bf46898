// What an edge tells the live dashboard as it works: devices connecting and leaving, requests sent, replies
// arriving, jobs starting and finishing. Small JSON (device ids, counts, times), never model data. The embedded
// runtime hands batches to the dashboard directly; daemons publish them on Redis (RedisLiveChannel).

import type { EdgeParticipation } from '../protocol/round-jobs.js';

/** Which kind of edge job an event belongs to (`edge-round`, `edge-evaluate`). */
interface JobEvent {
  readonly at: number;
  readonly job: string;
  readonly round: number;
}

export type EdgeLiveEvent =
  | { readonly kind: 'peer'; readonly at: number; readonly deviceId: string; readonly connected: boolean }
  | (JobEvent & { readonly kind: 'job-started' })
  | (JobEvent & { readonly kind: 'requests'; readonly iteration: number; readonly deviceIds: readonly string[] })
  | (JobEvent & { readonly kind: 'reply'; readonly deviceId: string; readonly ok: boolean })
  | (JobEvent & {
      readonly kind: 'job-finished';
      readonly outcome: 'done' | 'expired';
      readonly seconds: number;
      readonly participation: EdgeParticipation;
    });

/** Events of one edge, in the order they happened; times are epoch milliseconds on the edge's clock. */
export interface EdgeLiveBatch {
  readonly region: string;
  readonly nodeId: string;
  /** When the batch was sent. */
  readonly at: number;
  /**
   * Every device connected now, sent now and then (heartbeats): a coordinator that started late, or lost
   * a batch, catches up from it.
   */
  readonly devices?: readonly string[];
  readonly events: readonly EdgeLiveEvent[];
}
