// Local rendering's download: GET /compact-model on the edge daemon's HTTP endpoint answers the compact file
// of the edge's newest global model (the task's CompactModelSource: the radiance task's .strc), for a device
// that renders the scene itself (local rendering, co-rendering's hole fill), with the device token or a
// device credential as a bearer token. The model's version is in a header; every refusal names its reason.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { COMPACT_MODEL_ROUTE, type CompactModelSource, type Logger } from '@strata/shared';
import type { EdgeGlobalModel } from './edge-node.js';

export interface EdgeCompactModelServiceOptions {
  /** The task's compact models; without it the route answers 404. */
  readonly source?: CompactModelSource;
  readonly authorize: (bearer: string) => boolean | Promise<boolean>;
  readonly model: () => EdgeGlobalModel | undefined;
  readonly logger: Logger;
}

export class EdgeCompactModelService {
  constructor(private readonly options: EdgeCompactModelServiceOptions) {}

  /** A daemon-http `routes` hook: answers the compact-model route and returns true, false for other paths. */
  handle(request: IncomingMessage, response: ServerResponse): boolean {
    if ((request.url ?? '/').split('?')[0] !== COMPACT_MODEL_ROUTE.path) return false;
    this.serve(request, response).catch((error: unknown) => {
      const message = `compact model failed: ${error instanceof Error ? error.message : String(error)}`;
      this.options.logger.error({ reason: message }, 'compact model request failed');
      if (response.headersSent) response.destroy();
      else this.refuse(response, 500, message);
    });
    return true;
  }

  private async serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const { source } = this.options;
    if (!source)
      return this.refuse(
        response,
        404,
        'this edge offers no compact model: start it with a task that has one (--task radiance/voxel-grid)',
      );
    if (request.method !== 'GET')
      return this.refuse(response, 405, `method ${request.method} not allowed: GET ${COMPACT_MODEL_ROUTE.path}`, { allow: 'GET' });
    const header = request.headers.authorization;
    if (!(typeof header === 'string' && header.startsWith('Bearer ') && (await this.options.authorize(header.slice(7))))) {
      return this.refuse(response, 401, 'unauthorized: send the device token or credential as Authorization: Bearer <token>', {
        'www-authenticate': 'Bearer',
      });
    }
    const current = this.options.model();
    if (!current)
      return this.refuse(response, 503, 'no model yet: the edge serves the global model of the latest round it took', {
        'retry-after': '5',
      });
    const bytes = await source.compactModel(current.model);
    this.options.logger.debug({ version: current.version, bytes: bytes.byteLength }, 'compact model sent');
    response
      .writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': bytes.byteLength,
        'cache-control': 'no-store',
        [COMPACT_MODEL_ROUTE.versionHeader]: String(current.version),
      })
      .end(bytes);
  }

  private refuse(response: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
    if (status !== 500) this.options.logger.warn({ status, reason: message }, 'compact model request refused');
    response
      .writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...headers })
      .end(`${message}\n`);
  }
}
