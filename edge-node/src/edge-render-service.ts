// Remote rendering at the edge: POST /render on the edge daemon's HTTP endpoint. A device sends a camera as
// JSON (a ViewRequest) with its device token as a bearer token and gets the edge's newest global model
// rendered by the task's ViewRenderer, as a PNG, with the model's version and the render time in headers.
// Every bad request gets an answer naming what is wrong (400, 401, 404, 405, 413, 503), is counted and
// logged; none stops the daemon.

import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  ConfigError,
  StrataError,
  VIEW_RENDER_ROUTE,
  parseViewRequest,
  type Logger,
  type ViewRenderer,
  type ViewRequest,
} from '@strata/shared';
import type { EdgeGlobalModel } from './edge-node.js';
import type { EdgeMetrics, RenderOutcome } from './edge-metrics.js';

export interface EdgeRenderServiceOptions {
  /** The task's renderer; without one the route answers 404 (rendering is not enabled). */
  readonly renderer?: ViewRenderer;
  /**
   * Whether a bearer token lets a device render: the shared device token, or a device credential of the
   * edge's region (what devices present on the socket.io link).
   */
  readonly authorize: (bearer: string) => boolean | Promise<boolean>;
  /** The model to render: the edge's newest global model, once one has arrived. */
  readonly model: () => EdgeGlobalModel | undefined;
  readonly metrics: EdgeMetrics;
  readonly logger: Logger;
}

/** A render request's JSON is a few hundred bytes; anything much larger is not one. */
const MAX_BODY_BYTES = 16 * 1024;

/** A render request the edge answers with an error: its HTTP status, how it is counted, and the reason. */
class RenderRefusal extends StrataError {
  constructor(
    readonly status: number,
    readonly outcome: Exclude<RenderOutcome, 'ok'>,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super('STRATA_ERR_RENDER_REFUSED', message);
  }
}

export class EdgeRenderService {
  constructor(private readonly options: EdgeRenderServiceOptions) {}

  get enabled(): boolean {
    return this.options.renderer !== undefined;
  }

  /** A daemon-http `routes` hook: answers the render route and returns true, or returns false for other paths. */
  handle(request: IncomingMessage, response: ServerResponse): boolean {
    if ((request.url ?? '/').split('?')[0] !== VIEW_RENDER_ROUTE.path) return false;
    this.serve(request, response).catch((error: unknown) => {
      const refusal =
        error instanceof RenderRefusal
          ? error
          : new RenderRefusal(500, 'failed', `render failed: ${error instanceof Error ? error.message : String(error)}`);
      this.options.metrics.renderRefused(refusal.outcome);
      const log = refusal.status >= 500 && refusal.status !== 503 ? 'error' : 'warn';
      this.options.logger[log]({ status: refusal.status, outcome: refusal.outcome, reason: refusal.message }, 'render request refused');
      if (response.headersSent) {
        response.destroy();
        return;
      }
      response
        .writeHead(refusal.status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...refusal.headers })
        .end(`${refusal.message}\n`);
    });
    return true;
  }

  private async serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const { renderer } = this.options;
    if (!renderer) {
      throw new RenderRefusal(
        404,
        'disabled',
        'rendering is not enabled on this edge: start it with a task that renders views (e.g. --task radiance/voxel-grid)',
      );
    }
    if (request.method !== 'POST') {
      throw new RenderRefusal(405, 'bad_request', `method ${request.method} not allowed: POST a JSON camera to ${VIEW_RENDER_ROUTE.path}`, {
        allow: 'POST',
      });
    }
    if (!(await this.authorized(request))) {
      throw new RenderRefusal(401, 'unauthorized', 'unauthorized: send the device token or credential as Authorization: Bearer <token>', {
        'www-authenticate': 'Bearer',
      });
    }
    const view = parseBody(await readBody(request));
    const current = this.options.model();
    if (!current) {
      throw new RenderRefusal(
        503,
        'no_model',
        'no model yet: the edge renders the global model of the latest round it took, and has taken none since it started',
        {
          'retry-after': '5',
        },
      );
    }
    const started = performance.now();
    const image = await renderer.renderView(current.model, view);
    const seconds = (performance.now() - started) / 1000;
    this.options.metrics.rendered(seconds);
    this.options.logger.debug({ version: current.version, width: image.width, height: image.height, seconds }, 'view rendered');
    response
      .writeHead(200, {
        'content-type': 'image/png',
        'content-length': image.png.byteLength,
        'cache-control': 'no-store',
        [VIEW_RENDER_ROUTE.versionHeader]: String(current.version),
        [VIEW_RENDER_ROUTE.secondsHeader]: seconds.toFixed(6),
      })
      .end(image.png);
  }

  private async authorized(request: IncomingMessage): Promise<boolean> {
    const header = request.headers.authorization;
    return typeof header === 'string' && header.startsWith('Bearer ') && (await this.options.authorize(header.slice(7)));
  }
}

function parseBody(text: string): ViewRequest {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw new RenderRefusal(400, 'bad_request', `invalid render request: the body is not JSON (${(error as Error).message})`);
  }
  try {
    return parseViewRequest(body);
  } catch (error) {
    if (error instanceof ConfigError) throw new RenderRefusal(400, 'bad_request', error.message);
    throw error;
  }
}

/** The request's body as text, refused (413) past MAX_BODY_BYTES without reading the rest. */
function readBody(request: IncomingMessage): Promise<string> {
  const tooLarge = (): RenderRefusal =>
    new RenderRefusal(413, 'bad_request', `invalid render request: the body is larger than ${MAX_BODY_BYTES} bytes`, {
      connection: 'close',
    });
  return new Promise((resolve, reject) => {
    if (Number(request.headers['content-length']) > MAX_BODY_BYTES) return reject(tooLarge());
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.byteLength;
      if (size <= MAX_BODY_BYTES) return void chunks.push(chunk);
      // The answer closes the connection; what the client still sends is dropped.
      request.off('data', onData);
      reject(tooLarge());
    };
    request.on('data', onData);
    request.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.once('error', reject);
  });
}
