export * from './update-clipping.js';
export * from './noise-calibration.js';
export * from './gaussian-noise.js';
export * from './adaptive-clip-norm.js';
export * from './fixed-denominator-mean.js';
