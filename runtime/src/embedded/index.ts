// The embedded implementations: everything in one process, for `strata run`, tests and the simulator.
export * from './in-process-network.js';
export * from './in-memory-job-queue.js';
export * from './in-memory-blob-store.js';
export * from './in-memory-state-store.js';
