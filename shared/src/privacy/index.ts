// Privacy: the Rényi-DP accountant, DP-FedAvg's clipping and noise, and SecAgg+ secure aggregation.
// Browser-safe: no Node built-ins; crypto from @noble, randomness from the Web Crypto global.
export * from './accountant/log-space.js';
export * from './accountant/subsampled-gaussian-rdp.js';
export * from './accountant/rdp-conversion.js';
export * from './accountant/rdp-accountant.js';
export * from './accountant/noise-multiplier-search.js';
export * from './accountant/privacy-budget.js';
export * from './crypto-random.js';
export * from './dp/index.js';
export * from './secagg/index.js';
