// The device daemon's metrics (prom-client, one registry per daemon process, which may run several devices).

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AnswerKind, DeviceClientObserver } from './device-client.js';

export class DeviceMetrics implements DeviceClientObserver {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'strata_device_requests_total',
    help: 'Edge requests answered, by kind (train, evaluate, resync: asked for the whole model, secagg: a secure-aggregation step)',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly requestDuration = new Histogram({
    name: 'strata_device_request_duration_seconds',
    help: 'Time to answer an edge request (decode, train or evaluate, encode)',
    labelNames: ['kind'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60],
    registers: [this.registry],
  });
  readonly requestFailures = new Counter({
    name: 'strata_device_request_failures_total',
    help: 'Edge requests the device could not answer',
    registers: [this.registry],
  });
  readonly bytesSent = new Counter({
    name: 'strata_bytes_sent_total',
    help: 'Bytes sent, by link (device_edge: updates)',
    labelNames: ['link'] as const,
    registers: [this.registry],
  });
  readonly bytesReceived = new Counter({
    name: 'strata_bytes_received_total',
    help: 'Bytes received, by link (device_edge: models)',
    labelNames: ['link'] as const,
    registers: [this.registry],
  });
  readonly connected = new Gauge({
    name: 'strata_device_connected',
    help: 'Devices of this process connected to an edge now',
    registers: [this.registry],
  });
  readonly failovers = new Counter({
    name: 'strata_device_failovers_total',
    help: 'Times a device moved to another edge of its region after losing its own',
    registers: [this.registry],
  });

  constructor(labels: { region: string }) {
    this.registry.setDefaultLabels({ tier: 'device', region: labels.region });
    collectDefaultMetrics({ register: this.registry, prefix: 'strata_' });
  }

  answered(kind: AnswerKind, requestBytes: number, replyBytes: number, seconds: number): void {
    this.requests.inc({ kind });
    this.requestDuration.observe({ kind }, seconds);
    this.bytesReceived.inc({ link: 'device_edge' }, requestBytes);
    this.bytesSent.inc({ link: 'device_edge' }, replyBytes);
  }

  failed(): void {
    this.requestFailures.inc();
  }
}
