export * from './coordinator.js';
export * from './state-store.js';
