// The dashboard's static files: the page (`dashboard/static/index.html`), its compiled modules
// (`dashboard/dist/page/*.js`, from src/page), its stylesheet, and uPlot from node_modules. Nothing here is secret (the data comes
// over the authenticated socket), but only known names are served, and the page gets a Content-Security-Policy
// that lets it load nothing but this origin's files.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** This package's folder (this file is dashboard/dist/src/server/dashboard-assets.js). */
export function defaultDashboardDir(): string {
  return process.env.STRATA_DASHBOARD_DIR ?? fileURLToPath(new URL('../../../', import.meta.url));
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

const ASSET = /^\/assets\/([a-z0-9][a-z0-9-]*\.(?:js|css|map|png|svg))$/;

export class DashboardAssets {
  private readonly uplotDir: string;

  constructor(private readonly dir: string = defaultDashboardDir()) {
    this.uplotDir = join(dirname(createRequire(import.meta.url).resolve('uplot/package.json')), 'dist');
  }

  /** Serves the request when it is for a dashboard file; false when the path is not one of them. */
  handle(request: IncomingMessage, response: ServerResponse): boolean {
    const path = (request.url ?? '/').split('?')[0];
    const file = this.resolve(path);
    if (file === undefined) return false;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { 'content-type': 'text/plain', allow: 'GET, HEAD' }).end('method not allowed\n');
      return true;
    }
    let body: Buffer;
    try {
      body = readFileSync(file);
    } catch {
      const hint = path === '/' ? 'the dashboard is not built: run `npm run build`\n' : 'not found\n';
      response.writeHead(path === '/' ? 503 : 404, { 'content-type': 'text/plain' }).end(hint);
      return true;
    }
    const headers: Record<string, string> = {
      'content-type': TYPES[file.slice(file.lastIndexOf('.'))] ?? 'application/octet-stream',
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
    };
    if (file.endsWith('.html')) {
      headers['content-security-policy'] = path === '/splats' ? SPLAT_VIEWER_POLICY : contentSecurityPolicy(body.toString('utf8'));
      headers['referrer-policy'] = 'no-referrer';
    }
    response.writeHead(200, headers).end(request.method === 'HEAD' ? undefined : body);
    return true;
  }

  private resolve(path: string): string | undefined {
    if (path === '/' || path === '/index.html') return join(this.dir, 'static', 'index.html');
    if (path === '/splats') return join(this.dir, 'static', 'splats.html');
    if (path === '/assets/splat-viewer.js') return join(this.dir, 'dist', 'bundle', 'splat-viewer.js');
    if (path === '/vendor/uplot.js') return join(this.uplotDir, 'uPlot.esm.js');
    if (path === '/vendor/uplot.css') return join(this.uplotDir, 'uPlot.min.css');
    const name = ASSET.exec(path)?.[1];
    if (name === undefined) return undefined;
    return /\.(?:js|map)$/.test(name) ? join(this.dir, 'dist', 'page', name) : join(this.dir, 'static', name);
  }
}

/**
 * Scripts from this origin only, plus the page's inline import map by its hash; connections to this origin
 * (socket.io); images from data: URLs (renders). uPlot sets element styles, hence the inline styles.
 */
function contentSecurityPolicy(html: string): string {
  const importMap = /<script type="importmap">([\s\S]*?)<\/script>/.exec(html)?.[1];
  const hash = importMap === undefined ? '' : ` 'sha256-${createHash('sha256').update(importMap).digest('base64')}'`;
  return [
    "default-src 'none'",
    `script-src 'self'${hash}`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "style-src 'self' 'unsafe-inline'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * The splat viewer's page: its bundle (three.js and Spark) from this origin; Spark compiles its WebAssembly
 * sorter from a data: URL and starts its decoding workers from blob: URLs, hence 'wasm-unsafe-eval', data: for
 * connections and blob: for workers. The splat file comes from this origin with the token.
 */
const SPLAT_VIEWER_POLICY = [
  "default-src 'none'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self' blob:",
  "connect-src 'self' data: blob:",
  "img-src 'self' data: blob:",
  "style-src 'self' 'unsafe-inline'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
