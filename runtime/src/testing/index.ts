// @strata/runtime/testing: contract tests that every implementation of a runtime interface must pass.
export * from './job-queue-contract.js';
export * from './blob-store-contract.js';
export * from './redis-test-support.js';
export * from './seeded-bytes.js';
export * from './wait-for.js';
export * from './transport-contract.js';
export * from './state-store-contract.js';
export * from './self-signed-certificate.js';
