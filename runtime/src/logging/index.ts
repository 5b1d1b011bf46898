// Structured logs (pino).
export * from './create-logger.js';
