// A daemon's HTTP endpoint: /healthz, /metrics and the routes a daemon adds.
export * from './daemon-http.js';
