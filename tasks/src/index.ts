// @strata/tasks: the learning tasks (recommenders and radiance fields) that plug into the runtime.
export * from './recsys/index.js';
export * from './radiance/index.js';
export * from './tfjs/index.js';
export * from './registry/index.js';
export * from './device-from-data.js';
