// @strata/runtime: the Node side of Strata. The implementations of @strata/shared's interfaces, one folder per
// family (embedded: in one process; redis: BullMQ and Redis; socket-io: the device/edge link), the daemons'
// HTTP endpoint (/healthz, /metrics), structured logging and run-record files.
export * from './embedded/in-process-network.js';
export * from './embedded/in-memory-job-queue.js';
export * from './embedded/in-memory-blob-store.js';
export * from './embedded/in-memory-state-store.js';
export * from './redis/redis-url.js';
export * from './redis/bullmq-job-queue.js';
export * from './redis/redis-blob-store.js';
export * from './redis/redis-state-store.js';
export * from './redis/redis-live-channel.js';
export * from './socket-io/index.js';
export * from './http/daemon-http.js';
export * from './logging/create-logger.js';
export * from './run/write-run-record.js';
export * from './counting-blob-store.js';
