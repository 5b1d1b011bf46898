// The coordinator daemon's metrics (prom-client, one registry per daemon, `strata_` prefix, base units).
// Evaluation metrics become one gauge with the metric's name as a label: a task's names are a short fixed list.

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RoundOutcome } from './coordinator.js';

export class CoordinatorMetrics {
  readonly registry = new Registry();
  readonly roundsCompleted = new Counter({
    name: 'strata_rounds_completed_total',
    help: 'Cloud rounds completed',
    registers: [this.registry],
  });
  readonly roundsFailed = new Counter({
    name: 'strata_rounds_failed_total',
    help: 'Cloud rounds that accepted no update (the model stayed unchanged)',
    registers: [this.registry],
  });
  readonly modelRepublished = new Counter({
    name: 'strata_model_republished_total',
    help: 'Times the model blob was found missing from the blob store (Redis restarted empty?) and published again',
    registers: [this.registry],
  });
  readonly roundDuration = new Histogram({
    name: 'strata_round_duration_seconds',
    help: 'Cloud round duration, from adding its flow to committing the new model',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900],
    registers: [this.registry],
  });
  readonly aggregationDuration = new Histogram({
    name: 'strata_aggregation_duration_seconds',
    help: 'Global aggregation duration (decode, validate and aggregate edge updates, publish the model)',
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly updatesReceived = new Counter({
    name: 'strata_updates_received_total',
    help: 'Edge updates received',
    registers: [this.registry],
  });
  readonly updatesAccepted = new Counter({
    name: 'strata_updates_accepted_total',
    help: 'Edge updates aggregated',
    registers: [this.registry],
  });
  readonly updatesRejected = new Counter({
    name: 'strata_updates_rejected_total',
    help: 'Edge updates rejected, by reason (malformed, non_finite, shape, unknown_tensor, bad_weight, missing; an asynchronous cloud: stale, too_stale)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly deviceUpdates = new Counter({
    name: 'strata_device_updates_total',
    help: 'Device answers over all edges, by outcome (accepted, rejected, failed, dropped)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly bytesSent = new Counter({
    name: 'strata_bytes_sent_total',
    help: 'Bytes sent, by link (edge_cloud: model blobs)',
    labelNames: ['link'] as const,
    registers: [this.registry],
  });
  readonly bytesReceived = new Counter({
    name: 'strata_bytes_received_total',
    help: 'Bytes received, by link (edge_cloud: edge update blobs)',
    labelNames: ['link'] as const,
    registers: [this.registry],
  });
  readonly modelVersion = new Gauge({ name: 'strata_model_version', help: 'Version of the global model', registers: [this.registry] });
  readonly currentRound = new Gauge({ name: 'strata_round', help: 'Last committed cloud round', registers: [this.registry] });
  readonly evalMetric = new Gauge({
    name: 'strata_eval_metric',
    help: 'Latest held-out evaluation of the global model, by metric name (recall@20, ndcg@20, psnr, ...)',
    labelNames: ['name'] as const,
    registers: [this.registry],
  });

  constructor() {
    this.registry.setDefaultLabels({ tier: 'coordinator' });
    collectDefaultMetrics({ register: this.registry, prefix: 'strata_' });
  }

  roundCompleted(outcome: RoundOutcome): void {
    const { participation } = outcome;
    this.roundsCompleted.inc();
    if (outcome.failed) this.roundsFailed.inc();
    this.roundDuration.observe(outcome.wallSeconds);
    this.aggregationDuration.observe(outcome.aggregationSeconds);
    this.updatesReceived.inc(participation.edgesAnswered + participation.edgesRejected);
    this.updatesAccepted.inc(participation.edgesAnswered);
    for (const [reason, n] of Object.entries(participation.edgeRejections)) this.updatesRejected.inc({ reason }, n);
    const rejected = Object.values(participation.rejected).reduce((sum, n) => sum + n, 0);
    this.deviceUpdates.inc({ outcome: 'accepted' }, participation.answered);
    this.deviceUpdates.inc({ outcome: 'rejected' }, rejected);
    this.deviceUpdates.inc({ outcome: 'failed' }, participation.failed);
    this.deviceUpdates.inc({ outcome: 'dropped' }, participation.dropped);
    this.modelVersion.set(outcome.version);
    this.currentRound.set(outcome.round);
  }

  evaluated(metrics: Record<string, number>): void {
    for (const [name, value] of Object.entries(metrics)) this.evalMetric.set({ name }, value);
  }
}
