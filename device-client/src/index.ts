export * from './device-client.js';
