export * from './edge-node.js';
