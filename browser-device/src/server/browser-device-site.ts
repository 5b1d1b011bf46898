// The browser device page as an edge serves it, under /device/ on the edge's HTTP port: the page, its script
// and Web Worker (bundled by `npm run build` into dist/bundle), the viewer page (/device/viewer: viewing
// sessions in each rendering architecture, viewer-page.ts), where the edge's device link is
// (/device/config), and a demo split for a user (/device/data/<index>) when the edge was given a task whose
// devices can be built from their data. The page then joins this edge over socket.io like any device.

import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StrataError } from '@strata/shared';

export interface BrowserDeviceSiteOptions {
  readonly region: string;
  /** The URL devices connect to (the edge's socket.io server), read when a page asks. */
  readonly edgeUrl: () => string;
  /** Device `index`'s data, as JSON (a demo split); absent when the edge has no such task. */
  readonly deviceData?: {
    readonly task: string;
    readonly numDevices: number;
    readonly get: (index: number) => unknown;
  };
  /** This package's folder (default: found from this file); tests point it elsewhere. */
  readonly dir?: string;
}

const FILES: Record<string, { readonly file: string[]; readonly type: string }> = {
  '/device/': { file: ['static', 'index.html'], type: 'text/html; charset=utf-8' },
  '/device/assets/device.css': { file: ['static', 'device.css'], type: 'text/css; charset=utf-8' },
  '/device/assets/device-page.js': { file: ['dist', 'bundle', 'device-page.js'], type: 'text/javascript; charset=utf-8' },
  '/device/assets/device-worker.js': { file: ['dist', 'bundle', 'device-worker.js'], type: 'text/javascript; charset=utf-8' },
  '/device/viewer': { file: ['static', 'viewer.html'], type: 'text/html; charset=utf-8' },
  '/device/assets/viewer-page.js': { file: ['dist', 'bundle', 'viewer-page.js'], type: 'text/javascript; charset=utf-8' },
};
/**
 * The pages (they get the content security policy) and whether each compiles WebAssembly: the viewer renders
 * with the radiance kernels, which compile their own (the project's wasm assembler, no module from elsewhere).
 */
const PAGES = new Map([
  ['/device/', { wasm: false }],
  ['/device/viewer', { wasm: true }],
]);
const DATA = /^\/device\/data\/(\d{1,9})$/;

export class BrowserDeviceSite {
  private readonly dir: string;

  constructor(private readonly options: BrowserDeviceSiteOptions) {
    this.dir = options.dir ?? fileURLToPath(new URL('../../../', import.meta.url));
  }

  /** Answers the request when it is under /device; false otherwise. */
  handle(request: IncomingMessage, response: ServerResponse): boolean {
    const path = (request.url ?? '/').split('?')[0];
    if (path !== '/device' && !path.startsWith('/device/')) return false;
    if (request.method !== 'GET') {
      response.writeHead(405, { 'content-type': 'text/plain', allow: 'GET' }).end('method not allowed\n');
      return true;
    }
    if (path === '/device') {
      response.writeHead(308, { location: '/device/' }).end();
      return true;
    }
    if (path === '/device/config') return this.json(response, 200, this.config());
    const data = DATA.exec(path);
    if (data) return this.data(response, Number(data[1]));
    const asset = FILES[path];
    if (!asset) return this.json(response, 404, { error: `not found: ${path}` });
    let body: Buffer;
    try {
      body = readFileSync(join(this.dir, ...asset.file));
    } catch {
      return this.json(response, 503, { error: 'the browser device is not built: run `npm run build`' });
    }
    const headers: Record<string, string> = {
      'content-type': asset.type,
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
    };
    const page = PAGES.get(path);
    if (page) {
      headers['content-security-policy'] = this.contentSecurityPolicy(page.wasm);
      headers['referrer-policy'] = 'no-referrer';
    }
    response.writeHead(200, headers).end(body);
    return true;
  }

  /** What a page needs to join: the edge's device URL and region, and whether demo data is offered. */
  config(): Record<string, unknown> {
    const data = this.options.deviceData;
    return {
      region: this.options.region,
      edgeUrl: this.options.edgeUrl(),
      demo: data ? { task: data.task, numDevices: data.numDevices } : null,
    };
  }

  private data(response: ServerResponse, index: number): true {
    const data = this.options.deviceData;
    if (!data) return this.json(response, 404, { error: 'this edge serves no demo data: start it with the task (--task and its data)' });
    if (index >= data.numDevices) return this.json(response, 404, { error: `no device ${index}: the task has ${data.numDevices}` });
    try {
      return this.json(response, 200, data.get(index));
    } catch (error) {
      const status = error instanceof StrataError ? 400 : 500;
      return this.json(response, status, { error: error instanceof Error ? error.message : String(error) });
    }
  }

  private json(response: ServerResponse, status: number, body: unknown): true {
    response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(`${JSON.stringify(body)}\n`);
    return true;
  }

  /** Scripts and workers of this origin only; connections to this origin and to the edge's device link. */
  private contentSecurityPolicy(wasm: boolean): string {
    const link = new URL(this.options.edgeUrl());
    const socket = `${link.protocol === 'https:' ? 'wss' : 'ws'}://${link.host}`;
    return [
      "default-src 'none'",
      `script-src 'self'${wasm ? " 'wasm-unsafe-eval'" : ''}`,
      "worker-src 'self'",
      `connect-src 'self' ${link.origin} ${socket}`,
      "style-src 'self'",
      "img-src 'self' data:",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join('; ');
  }
}
