// The small HTTP endpoint every daemon serves beside its real work: `/healthz` (JSON, 200 when healthy, 503
// when not) for orchestrators and tests, and `/metrics` (Prometheus text format) for scraping. node:http
// only: two routes need no framework.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What /metrics serves: a prom-client Registry fits this shape. */
export interface MetricsSource {
  readonly contentType: string;
  metrics(): Promise<string>;
}

export interface Health {
  readonly ok: boolean;
  readonly [detail: string]: unknown;
}

export interface DaemonHttpOptions {
  /** Interface to listen on (default 127.0.0.1). */
  readonly host?: string;
  /** Port (default 0: any free port; `url` tells which). */
  readonly port?: number;
  readonly health: () => Health | Promise<Health>;
  readonly metrics: MetricsSource;
  /** More routes (the coordinator's dashboard): answers and returns true when the request is one of its own. */
  readonly routes?: (request: IncomingMessage, response: ServerResponse) => boolean;
  /** Called with the server before it listens (the dashboard's socket.io attaches to it). */
  readonly attach?: (server: Server) => void | Promise<void>;
}

export interface DaemonHttp {
  /** `http://host:port` of the endpoint. */
  readonly url: string;
  close(): Promise<void>;
}

export async function startDaemonHttp(options: DaemonHttpOptions): Promise<DaemonHttp> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    const reply = (status: number, type: string, body: string): void => {
      response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
    };
    const route = async (): Promise<void> => {
      if (options.routes?.(request, response)) return;
      if (request.method !== 'GET') return reply(405, 'text/plain', 'method not allowed\n');
      if (path === '/healthz') {
        const health = await options.health();
        return reply(health.ok ? 200 : 503, 'application/json', `${JSON.stringify(health)}\n`);
      }
      if (path === '/metrics') return reply(200, options.metrics.contentType, await options.metrics.metrics());
      return reply(404, 'text/plain', 'not found: try /healthz or /metrics\n');
    };
    route().catch((error: unknown) => reply(500, 'text/plain', `${error instanceof Error ? error.message : String(error)}\n`));
  });
  // Keep-alive sockets from scrapers must not hold a shutting-down daemon open.
  server.keepAliveTimeout = 5000;
  await options.attach?.(server);
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
