// @strata/shared/testing: contract tests that every implementation of a runtime interface must pass.
export * from './job-queue-contract.js';
