// The edge daemon's metrics (prom-client, one registry per daemon, `strata_` prefix, base units). Label sets
// are bounded: reasons, job kinds and link names are fixed lists, never device ids.

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { EdgeParticipation, LinkStats } from '@strata/shared';
import type { TransportRefusal } from '@strata/runtime';
import type { EdgeJobInfo, EdgeNodeObserver } from './edge-node.js';

/** How a render request ended: rendered, or why not. */
export type RenderOutcome = 'ok' | 'bad_request' | 'unauthorized' | 'no_model' | 'disabled' | 'failed';

export class EdgeMetrics implements EdgeNodeObserver {
  readonly registry = new Registry();
  readonly jobs = new Counter({
    name: 'strata_edge_jobs_total',
    help: 'Edge jobs finished, by kind (edge-round, edge-evaluate) and outcome (done, expired)',
    labelNames: ['kind', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly jobDuration = new Histogram({
    name: 'strata_edge_job_duration_seconds',
    help: 'Duration of edge jobs (all κ2 iterations of a round, or an evaluation)',
    labelNames: ['kind'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900],
    registers: [this.registry],
  });
  readonly updatesReceived = new Counter({
    name: 'strata_updates_received_total',
    help: 'Device answers received (accepted or rejected)',
    registers: [this.registry],
  });
  readonly updatesAccepted = new Counter({
    name: 'strata_updates_accepted_total',
    help: 'Device answers that passed validation',
    registers: [this.registry],
  });
  readonly updateStaleness = new Histogram({
    name: 'strata_update_staleness_versions',
    help: 'Asynchronous schedules: edge model versions between the one a device trained from and the one it was accepted into',
    buckets: [0, 1, 2, 4, 8, 16, 32, 64, 128],
    registers: [this.registry],
  });
  readonly updatesRejected = new Counter({
    name: 'strata_updates_rejected_total',
    help: 'Device answers rejected, by reason (malformed, non_finite, shape, unknown_tensor, stale, too_stale, sender, bad_weight)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly updatesClipped = new Counter({
    name: 'strata_updates_clipped_total',
    help: "Accepted device updates cut to the server's bounds, by what was cut (weight, row_weight, norm)",
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly evaluationsRejected = new Counter({
    name: 'strata_evaluations_rejected_total',
    help: 'Device evaluation answers rejected, by reason (malformed, stale, sender, bad_metrics)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly secureAggregation = new Counter({
    name: 'strata_edge_secagg_sessions_total',
    help: 'Secure-aggregation outcomes: recovered (a device that dropped out after sharing its keys, its masks removed), aborted (a session left below its threshold)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly requestsLost = new Counter({
    name: 'strata_edge_device_requests_lost_total',
    help: 'Device requests without an answer: failed (disconnect, error reply) or dropped (straggler)',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly bytesSent = new Counter({
    name: 'strata_bytes_sent_total',
    help: 'Bytes sent, by link (device_edge: to devices; edge_cloud: update blobs)',
    labelNames: ['link'] as const,
    registers: [this.registry],
  });
  readonly bytesReceived = new Counter({
    name: 'strata_bytes_received_total',
    help: 'Bytes received, by link (device_edge: from devices; edge_cloud: model blobs)',
    labelNames: ['link'] as const,
    registers: [this.registry],
  });
  readonly connectedDevices = new Gauge({
    name: 'strata_edge_connected_devices',
    help: 'Devices connected now',
    registers: [this.registry],
  });
  readonly takingJobs = new Gauge({
    name: 'strata_edge_taking_jobs',
    help: "1 while the edge takes its region's jobs (enough devices), else 0",
    registers: [this.registry],
  });
  readonly transportRefusals = new Counter({
    name: 'strata_transport_refusals_total',
    help: 'Handshakes, messages and frames refused by the device link, by reason (auth, handshake, oversized, malformed)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly renders = new Counter({
    name: 'strata_edge_renders_total',
    help: 'Render requests at POST /render, by outcome (ok, bad_request, unauthorized, no_model, disabled, failed)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly renderDuration = new Histogram({
    name: 'strata_edge_render_duration_seconds',
    help: 'Time to render and encode one view for a device (successful renders)',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly viewRefusals = new Counter({
    name: 'strata_edge_view_refusals_total',
    help: 'Viewing-session messages refused with a view:error, by message (start, pose, shown; render: its render failed)',
    labelNames: ['message'] as const,
    registers: [this.registry],
  });
  readonly viewFrames = new Counter({
    name: 'strata_edge_view_frames_total',
    help: 'Frames sent to viewing sessions',
    registers: [this.registry],
  });
  private linkSeen: LinkStats = { bytesDown: 0, bytesUp: 0 };

  constructor(labels: { region: string }) {
    this.registry.setDefaultLabels({ tier: 'edge', region: labels.region });
    collectDefaultMetrics({ register: this.registry, prefix: 'strata_' });
  }

  jobFinished(job: EdgeJobInfo, outcome: 'done' | 'expired', seconds: number, participation: EdgeParticipation): void {
    this.jobs.inc({ kind: job.name, outcome });
    if (outcome === 'expired') return;
    this.jobDuration.observe({ kind: job.name }, seconds);
    if (job.name !== 'edge-round') {
      for (const [reason, n] of Object.entries(participation.rejected)) this.evaluationsRejected.inc({ reason }, n);
      return; // evaluation answers are metric sums, not updates
    }
    for (const [reason, n] of Object.entries(participation.clipped)) this.updatesClipped.inc({ reason }, n);
    const rejected = Object.values(participation.rejected).reduce((sum, n) => sum + n, 0);
    this.updatesReceived.inc(participation.answered + rejected);
    this.updatesAccepted.inc(participation.answered);
    for (const [reason, n] of Object.entries(participation.rejected)) this.updatesRejected.inc({ reason }, n);
    if (participation.secAggRecovered) this.secureAggregation.inc({ outcome: 'recovered' }, participation.secAggRecovered);
    if (participation.secAggAborted) this.secureAggregation.inc({ outcome: 'aborted' }, participation.secAggAborted);
    for (const [tau, n] of Object.entries(participation.staleness ?? {}))
      for (let i = 0; i < n; i++) this.updateStaleness.observe(Number(tau));
    this.requestsLost.inc({ kind: 'failed' }, participation.failed);
    this.requestsLost.inc({ kind: 'dropped' }, participation.dropped);
  }

  rendered(seconds: number): void {
    this.renders.inc({ outcome: 'ok' });
    this.renderDuration.observe(seconds);
  }

  renderRefused(outcome: Exclude<RenderOutcome, 'ok'>): void {
    this.renders.inc({ outcome });
  }

  refused(reason: TransportRefusal): void {
    this.transportRefusals.inc({ reason });
  }

  /** Reads what is sampled rather than counted as it happens (called before each scrape). */
  sample(now: { devices: number; takingJobs: boolean; link: LinkStats }): void {
    this.connectedDevices.set(now.devices);
    this.takingJobs.set(now.takingJobs ? 1 : 0);
    // The transport keeps running totals: the counters catch up with them.
    this.bytesSent.inc({ link: 'device_edge' }, now.link.bytesDown - this.linkSeen.bytesDown);
    this.bytesReceived.inc({ link: 'device_edge' }, now.link.bytesUp - this.linkSeen.bytesUp);
    this.linkSeen = now.link;
  }
}
