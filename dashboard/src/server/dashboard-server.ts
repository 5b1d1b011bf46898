// Serves the live dashboard: its static files over HTTP and its data over a read-only socket.io namespace
// (`/dashboard`) that needs the dashboard's bearer token. A page gets a snapshot when it connects, then one
// delta per tick (`intervalMs`) while something changed: however busy the run, a page receives at most
// 1000 / intervalMs updates a second, each holding only what changed. It attaches to an HTTP server the caller
// owns (the coordinator daemon's /healthz + /metrics server) or listens on its own (the embedded run).

import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type Namespace, type Socket } from 'socket.io';
import { ConfigError, type Logger } from '@strata/shared';
import { DashboardAssets } from './dashboard-assets.js';
import {
  DASHBOARD_NAMESPACE,
  type DashboardClientEvents,
  type DashboardServerEvents,
  type RenderPose,
  type RenderView,
} from './dashboard-protocol.js';
import type { DashboardState } from './dashboard-state.js';
import { RunLibrary } from './run-library.js';
import { SplatLibrary } from './splat-library.js';

export interface DashboardServerOptions {
  readonly state: DashboardState;
  /** The bearer token a page must present (in the socket.io handshake's auth, or an Authorization header). */
  readonly token: string;
  /** Finished runs for the run picker (default: none offered). */
  readonly runsDir?: string;
  /** Shortest time between two deltas (default 250 ms: at most 4 updates a second). */
  readonly intervalMs?: number;
  /** Where the dashboard's files are (default: dashboard/ in the repository). */
  readonly assetsDir?: string;
  readonly logger?: Logger;
  /** Renders the current model from a page's pose (radiance tasks); without it pages cannot ask for renders. */
  readonly renderer?: (pose: RenderPose) => Promise<RenderView>;
  /** .ply files named on the command line, for the splat viewer (besides the .ply files in runsDir's runs). */
  readonly splatFiles?: readonly string[];
}

/** Where the splat viewer's files are listed and served. */
export const SPLATS_PATH = '/api/splats';

export interface DashboardTraffic {
  /** Pages connected now. */
  readonly pages: number;
  readonly snapshots: number;
  readonly snapshotBytes: number;
  /** Deltas broadcast (each to every page connected at the time). */
  readonly deltas: number;
  readonly deltaBytes: number;
  readonly largestDeltaBytes: number;
}

export interface ListeningDashboard {
  readonly server: DashboardServer;
  /** `http://host:port` of the page (add `#token=...` to open it). */
  readonly url: string;
  close(): Promise<void>;
}

export class DashboardServer {
  private readonly assets: DashboardAssets;
  private readonly runs: RunLibrary | undefined;
  private readonly splats: SplatLibrary;
  private readonly tokenDigest: Buffer;
  private io: Server | undefined;
  private namespace: Namespace<DashboardClientEvents, DashboardServerEvents> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private traffic = { snapshots: 0, snapshotBytes: 0, deltas: 0, deltaBytes: 0, largestDeltaBytes: 0 };
  /** A render in progress: renders take the process's CPU, so pages get one at a time. */
  private rendering = false;

  constructor(private readonly options: DashboardServerOptions) {
    if (options.token.length < 8) throw new ConfigError(`the dashboard token must be at least 8 characters, got ${options.token.length}`);
    const intervalMs = options.intervalMs ?? 250;
    if (!(intervalMs > 0)) throw new ConfigError(`dashboard intervalMs must be positive, got ${intervalMs}`);
    this.tokenDigest = digest(options.token);
    this.assets = new DashboardAssets(options.assetsDir);
    this.runs = options.runsDir === undefined ? undefined : new RunLibrary(options.runsDir);
    this.splats = new SplatLibrary(options.runsDir, options.splatFiles);
  }

  /** Starts a server of its own at host:port (port 0: any free port). */
  static async listen(options: DashboardServerOptions & { host?: string; port?: number }): Promise<ListeningDashboard> {
    const dashboard = new DashboardServer(options);
    const http = createServer((request, response) => {
      if (!dashboard.handle(request, response)) response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    });
    dashboard.attach(http);
    const host = options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(options.port ?? 0, host, () => {
        http.off('error', reject);
        resolve();
      });
    });
    const { port } = http.address() as AddressInfo;
    return {
      server: dashboard,
      url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
      close: async () => {
        await dashboard.close();
        await new Promise<void>((resolve) => {
          http.close(() => resolve());
          http.closeAllConnections();
        });
      },
    };
  }

  /** Serves the request when it is for one of the dashboard's files; false otherwise (the caller's routes). */
  handle(request: IncomingMessage, response: ServerResponse): boolean {
    const path = (request.url ?? '/').split('?')[0];
    if (path === SPLATS_PATH || path.startsWith(`${SPLATS_PATH}/`)) {
      this.serveSplats(path.slice(SPLATS_PATH.length), request, response);
      return true;
    }
    return this.assets.handle(request, response);
  }

  /**
   * The splat viewer's data, for the bearer token only (run folders are as private as the run records):
   * `GET /api/splats` lists the files, `GET /api/splats/<source>/<name>` sends one.
   */
  private serveSplats(rest: string, request: IncomingMessage, response: ServerResponse): void {
    const plain = (status: number, text: string): void => {
      response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }).end(`${text}\n`);
    };
    if (request.method !== 'GET') {
      plain(405, 'method not allowed');
      return;
    }
    const header = request.headers.authorization;
    const token = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7) : '';
    if (!timingSafeEqual(digest(token), this.tokenDigest)) {
      plain(401, 'unauthorized: wrong or missing dashboard token');
      return;
    }
    const headers = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };
    if (rest === '' || rest === '/') {
      response.writeHead(200, { ...headers, 'content-type': 'application/json' }).end(JSON.stringify(this.splats.list()));
      return;
    }
    const parts = rest.slice(1).split('/');
    let source: string, name: string;
    try {
      [source, name] = parts.map(decodeURIComponent);
    } catch {
      plain(400, 'bad splat file address');
      return;
    }
    const file = parts.length === 2 ? this.splats.resolve(source, name) : undefined;
    if (file === undefined) {
      plain(404, `no splat file ${JSON.stringify(rest.slice(1)).slice(0, 220)}`);
      return;
    }
    let body: Buffer;
    try {
      body = readFileSync(file);
    } catch {
      plain(404, `splat file ${JSON.stringify(rest.slice(1)).slice(0, 220)} cannot be read`);
      return;
    }
    response.writeHead(200, { ...headers, 'content-type': 'application/octet-stream' }).end(body);
  }

  /** Adds the socket.io namespace to `http` (socket.io answers its own path, `/socket.io/`, before other routes). */
  attach(http: HttpServer): void {
    if (this.io) throw new ConfigError('the dashboard is attached to an HTTP server already');
    // Same-origin pages only: no CORS headers are sent, and the token is still required.
    this.io = new Server(http, { serveClient: true, maxHttpBufferSize: 16 * 1024 });
    this.io.of('/').use((_socket, next) => next(new Error('not found: the dashboard is at namespace /dashboard')));
    const namespace: Namespace<DashboardClientEvents, DashboardServerEvents> = this.io.of(DASHBOARD_NAMESPACE);
    namespace.use((socket, next) => (this.authorized(socket) ? next() : next(new Error('unauthorized: wrong or missing dashboard token'))));
    namespace.on('connection', (socket) => this.connected(socket));
    this.namespace = namespace;
  }

  /** What the dashboard has sent so far (the 1,000-device measurement reads it). */
  stats(): DashboardTraffic {
    return { pages: this.namespace?.sockets.size ?? 0, ...this.traffic };
  }

  /** Sends the pending delta now (tests; a finished run's last figures before closing). */
  flush(): void {
    const delta = this.options.state.takeDelta();
    if (!delta || !this.namespace) return;
    const json = JSON.stringify(delta);
    this.traffic.deltas++;
    this.traffic.deltaBytes += json.length;
    this.traffic.largestDeltaBytes = Math.max(this.traffic.largestDeltaBytes, json.length);
    this.namespace.emit('delta', json);
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    this.namespace?.disconnectSockets(true);
    // Not io.close(): that would close the HTTP server, which belongs to the caller.
    this.io?.engine.close();
  }

  private connected(socket: Socket<DashboardClientEvents, DashboardServerEvents>): void {
    // A page's snapshot holds every change so far: the pending delta goes to the pages that had the earlier
    // state first, so that deltas stay in order.
    this.flush();
    const json = JSON.stringify(this.options.state.snapshot());
    this.traffic.snapshots++;
    this.traffic.snapshotBytes += json.length;
    socket.emit('snapshot', json);
    this.timer ??= setInterval(() => this.tick(), this.options.intervalMs ?? 250);
    socket.on('runs', (reply) => {
      if (typeof reply === 'function') reply(this.runs?.list() ?? []);
    });
    socket.on('run', (id, reply) => {
      if (typeof reply !== 'function') return;
      const record = typeof id === 'string' ? this.runs?.read(id) : undefined;
      reply(record ? { record } : { error: `no finished run ${JSON.stringify(String(id)).slice(0, 220)}` });
    });
    socket.on('render', (pose, reply) => {
      if (typeof reply === 'function') void this.render(pose, reply);
    });
    this.options.logger?.info({ pages: this.namespace?.sockets.size }, 'dashboard page connected');
  }

  private async render(pose: unknown, reply: (answer: { render: RenderView } | { error: string }) => void): Promise<void> {
    const renderer = this.options.renderer;
    if (!renderer) return reply({ error: 'this run cannot render views' });
    const { azimuth, elevation } = (typeof pose === 'object' && pose !== null ? pose : {}) as Record<string, unknown>;
    if (typeof azimuth !== 'number' || typeof elevation !== 'number' || !Number.isFinite(azimuth) || !Number.isFinite(elevation)) {
      return reply({ error: 'a pose is { azimuth, elevation } in degrees' });
    }
    if (this.rendering) return reply({ error: 'busy with another render: try again in a moment' });
    this.rendering = true;
    try {
      reply({
        render: await renderer({
          azimuth: ((((azimuth + 180) % 360) + 360) % 360) - 180,
          elevation: Math.max(-89, Math.min(89, elevation)),
        }),
      });
    } catch (error) {
      reply({ error: error instanceof Error ? error.message : String(error) });
    } finally {
      this.rendering = false;
    }
  }

  private tick(): void {
    if ((this.namespace?.sockets.size ?? 0) === 0) {
      // Nobody watching: stop ticking; the next page gets a snapshot anyway.
      clearInterval(this.timer);
      this.timer = undefined;
      this.options.state.takeDelta();
      return;
    }
    this.flush();
  }

  private authorized(socket: Socket): boolean {
    const auth = socket.handshake.auth as Record<string, unknown> | undefined;
    const header = socket.handshake.headers.authorization;
    const bearer = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7) : undefined;
    const token = typeof auth?.token === 'string' ? auth.token : bearer;
    return token !== undefined && timingSafeEqual(digest(token), this.tokenDigest);
  }
}

/** Digests of equal length, so the comparison takes the same time whatever the token's length. */
function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}
