// Turns an edge's observer calls into live events for the dashboard (EdgeLiveBatch): delivered one by one
// (embedded: the dashboard coalesces them itself), or batched every `intervalMs` with a heartbeat carrying the
// device list every `heartbeatMs` (daemons, which publish each batch on Redis).

import type { EdgeLiveBatch, EdgeLiveEvent, EdgeParticipation } from '@strata/shared';
import type { EdgeJobInfo, EdgeNodeObserver } from './edge-node.js';

export interface EdgeLiveReporterOptions {
  readonly region: string;
  readonly nodeId: string;
  readonly sink: (batch: EdgeLiveBatch) => void;
  /** Batch events for this long (default 0: every event is its own batch, sent at once). */
  readonly intervalMs?: number;
  /** Send the device list this often, with or without events (default 0: never; needs `devices`). */
  readonly heartbeatMs?: number;
  /** The devices connected now, for heartbeats. */
  readonly devices?: () => readonly string[];
}

export class EdgeLiveReporter implements EdgeNodeObserver {
  private pending: EdgeLiveEvent[] = [];
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(private readonly options: EdgeLiveReporterOptions) {
    const { intervalMs = 0, heartbeatMs = 0, devices } = options;
    if (intervalMs > 0) this.timers.push(setInterval(() => this.flush(), intervalMs));
    if (heartbeatMs > 0 && devices) this.timers.push(setInterval(() => this.heartbeat(), heartbeatMs));
    for (const timer of this.timers) timer.unref();
  }

  peerChanged(deviceId: string, event: 'connect' | 'disconnect'): void {
    this.push({ kind: 'peer', at: Date.now(), deviceId, connected: event === 'connect' });
  }

  jobStarted(job: EdgeJobInfo): void {
    this.push({ kind: 'job-started', at: Date.now(), job: job.name, round: job.round });
  }

  requestsSent(job: EdgeJobInfo, iteration: number, deviceIds: readonly string[]): void {
    this.push({ kind: 'requests', at: Date.now(), job: job.name, round: job.round, iteration, deviceIds: [...deviceIds] });
  }

  deviceReplied(job: EdgeJobInfo, deviceId: string, ok: boolean): void {
    this.push({ kind: 'reply', at: Date.now(), job: job.name, round: job.round, deviceId, ok });
  }

  jobFinished(job: EdgeJobInfo, outcome: 'done' | 'expired', seconds: number, participation: EdgeParticipation): void {
    this.push({ kind: 'job-finished', at: Date.now(), job: job.name, round: job.round, outcome, seconds, participation });
  }

  /** Sends the device list now (with whatever events are pending). */
  heartbeat(): void {
    this.flush(this.options.devices?.());
  }

  /** Sends what is pending and stops the timers. */
  stop(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.flush();
  }

  private push(event: EdgeLiveEvent): void {
    this.pending.push(event);
    if (!this.options.intervalMs) this.flush();
  }

  private flush(devices?: readonly string[]): void {
    if (this.pending.length === 0 && devices === undefined) return;
    const events = this.pending;
    this.pending = [];
    const { region, nodeId } = this.options;
    this.options.sink({ region, nodeId, at: Date.now(), ...(devices ? { devices: [...devices] } : {}), events });
  }
}

/** One observer telling several (the daemon's metrics and its live reporter). */
export function combineEdgeObservers(...observers: readonly EdgeNodeObserver[]): EdgeNodeObserver {
  return {
    jobStarted: (job) => observers.forEach((o) => o.jobStarted?.(job)),
    peerChanged: (deviceId, event) => observers.forEach((o) => o.peerChanged?.(deviceId, event)),
    requestsSent: (job, iteration, ids) => observers.forEach((o) => o.requestsSent?.(job, iteration, ids)),
    deviceReplied: (job, deviceId, ok) => observers.forEach((o) => o.deviceReplied?.(job, deviceId, ok)),
    jobFinished: (job, outcome, seconds, participation) => observers.forEach((o) => o.jobFinished?.(job, outcome, seconds, participation)),
  };
}
