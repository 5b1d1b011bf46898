export * from './embedded/embedded-topology.js';
export * from './sim/index.js';
