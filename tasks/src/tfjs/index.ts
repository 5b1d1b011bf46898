// TensorFlow.js backend selection, shared by every task that uses tfjs.
export * from './tfjs-backend.js';
export * from './fast-segment-sum-kernel.js';
