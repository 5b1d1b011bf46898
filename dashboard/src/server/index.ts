// The live dashboard's server side: its state, its socket.io namespace and static files, the run picker.
export * from './dashboard-protocol.js';
export * from './dashboard-state.js';
export * from './dashboard-server.js';
export * from './dashboard-assets.js';
export * from './run-library.js';
export * from './dashboard-options.js';
export * from './coordinator-dashboard.js';
export * from './splat-library.js';
