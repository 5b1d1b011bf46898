export * from './embedded/embedded-topology.js';
