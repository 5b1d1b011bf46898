// @strata/runtime: the Node side of Strata. The implementations of @strata/shared's interfaces, one folder per
// family (embedded: in one process; redis: BullMQ and Redis; socket-io: the device/edge link), the daemons'
// HTTP endpoint (/healthz, /metrics), structured logging and run-record files. Each family is also an entry
// of its own (`@strata/runtime/socket-io-client`, ...), so a process imports only what it runs: a device
// needs neither BullMQ nor the socket.io server.
export * from './embedded/index.js';
export * from './redis/index.js';
export * from './socket-io/index.js';
export * from './http/index.js';
export * from './logging/index.js';
export * from './run/write-run-record.js';
export * from './counting-blob-store.js';
export * from './identity/index.js';
export * from './view/view-frame-codec.js';
export * from './entropy/node-brotli-codec.js';
