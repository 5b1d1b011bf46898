// @strata/shared: wire format, federated core, runtime interfaces, configuration and metrics.
export * from './errors.js';
export * from './random/seeded-random.js';
export * from './fl/model.js';
export type * from './fl/strategy.js';
export * from './fl/strategies/index.js';
export type * from './task/federated-task.js';
export * from './wire/index.js';
export * from './run/run-record.js';
export * from './config/parse-config.js';
export * from './fl/hierfavg-schedule.js';
export * from './fl/device-selection.js';
export * from './runtime/transport.js';
export * from './runtime/blob-store.js';
export * from './runtime/job-queue.js';
