// Remote rendering from the device's side: asks its edge (POST /render on the edge's HTTP endpoint, not the
// socket.io link) for a view of the edge's newest global model, with the device token. A device that holds
// the model and the task's ViewRenderer can render the same view locally instead.

import { StrataError, VIEW_RENDER_ROUTE, type ViewRequestInput } from '@strata/shared';

export interface EdgeRender {
  /** The image as a PNG file. */
  readonly png: Uint8Array;
  /** Version of the global model the edge rendered. */
  readonly version: number;
  /** The edge's time to render and encode the view. */
  readonly renderSeconds: number;
}

/** The edge refused or failed a render: `status` is the HTTP status, the message the edge's reason. */
export class RemoteRenderError extends StrataError {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super('STRATA_ERR_REMOTE_RENDER', message);
  }
}

/** Renders `request` at the edge whose HTTP endpoint is `edgeHttpUrl` (e.g. `http://edge-a:9401`). */
export async function fetchEdgeRender(
  edgeHttpUrl: string,
  token: string,
  request: ViewRequestInput,
  signal?: AbortSignal,
): Promise<EdgeRender> {
  const url = new URL(VIEW_RENDER_ROUTE.path, edgeHttpUrl);
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(request),
    ...(signal ? { signal } : {}),
  });
  if (!response.ok) {
    const reason = (await response.text()).trim();
    throw new RemoteRenderError(response.status, `render at ${url.href} refused (${response.status}): ${reason}`);
  }
  const header = (name: string): number => {
    const value = response.headers.get(name)?.trim();
    return value ? Number(value) : Number.NaN;
  };
  const version = header(VIEW_RENDER_ROUTE.versionHeader);
  const renderSeconds = header(VIEW_RENDER_ROUTE.secondsHeader);
  if (!Number.isInteger(version) || !Number.isFinite(renderSeconds)) {
    throw new RemoteRenderError(
      response.status,
      `render at ${url.href}: missing or bad ${VIEW_RENDER_ROUTE.versionHeader} / ${VIEW_RENDER_ROUTE.secondsHeader} headers`,
    );
  }
  return { png: new Uint8Array(await response.arrayBuffer()), version, renderSeconds };
}
