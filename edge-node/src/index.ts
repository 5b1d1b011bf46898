export * from './edge-node.js';
export * from './edge-metrics.js';
export * from './edge-daemon-config.js';
export * from './edge-daemon.js';
export * from './edge-live-reporter.js';
export * from './edge-render-service.js';
export * from './edge-view-sessions.js';
export * from './edge-compact-model-service.js';
