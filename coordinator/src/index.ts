export * from './coordinator.js';
export * from './coordinator-metrics.js';
export * from './coordinator-daemon-config.js';
export * from './coordinator-daemon.js';
