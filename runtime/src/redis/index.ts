// The distributed control plane on Redis: BullMQ job queues, blob and state stores, the live channel.
export * from './redis-url.js';
export * from './bullmq-job-queue.js';
export * from './redis-blob-store.js';
export * from './redis-state-store.js';
export * from './redis-live-channel.js';
export * from './redis-revocation-list.js';
