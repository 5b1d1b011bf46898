export * from './device-client.js';
export * from './device-metrics.js';
export * from './edge-failover-link.js';
export * from './device-daemon-config.js';
export * from './device-daemon.js';
export * from './fetch-edge-render.js';
export * from './view-session-player.js';
export * from './view-architecture-policy.js';
