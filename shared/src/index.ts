// @strata/shared: the core every tier and task builds on, which imports no Node built-in and bundles for a
// browser: the wire format, the round protocol, the federated core (models, strategies, aggregation), the task
// and runtime interfaces, configuration schemas and errors. The Node implementations are in @strata/runtime.
export * from './errors.js';
export * from './error-codes.js';
export * from './random/seeded-random.js';
export * from './fl/model.js';
export type * from './fl/strategy.js';
export * from './fl/strategies/index.js';
export * from './fl/hierfavg-schedule.js';
export * from './fl/device-selection.js';
export * from './fl/cumulative-delta.js';
export type * from './task/federated-task.js';
export * from './task/view-request.js';
export * from './task/view-renderer.js';
export * from './wire/index.js';
export * from './run/run-record.js';
export * from './config/parse-config.js';
export * from './config/parse-options.js';
export * from './config/daemon-options.js';
export * from './config/run-config.js';
export * from './config/redact-secrets.js';
export * from './interfaces/clock.js';
export * from './interfaces/transport.js';
export * from './interfaces/blob-store.js';
export * from './interfaces/job-queue.js';
export * from './interfaces/state-store.js';
export type * from './interfaces/logger.js';
export * from './protocol/compression.js';
export * from './protocol/gather-quorum.js';
export * from './protocol/round-jobs.js';
export * from './protocol/phase-timer.js';
export * from './protocol/round-messages.js';
export type * from './protocol/edge-live-events.js';
export * from './run/metric-direction.js';
export * from './protocol/round-bookkeeping.js';
export * from './privacy/index.js';
