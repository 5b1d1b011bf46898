// One measured viewing session on loopback: an edge's view namespace (socket.io over websockets) behind the
// simulator's shaping proxy with one link profile, and a device playing a camera path through it under one
// architecture. What the user sees is measured per shown frame: motion-to-photon latency, and the PSNR against
// the full-quality render of the pose the user had when the frame was shown (so stale frames cost quality);
// per session the frame rate and the bytes per second that crossed the link (both ways, socket.io framing
// included, as the proxy delivered them).

import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { io as connect, type Socket } from 'socket.io-client';
import { ConfigError, SeededRandom, type Logger, type ViewColorCodec, type ViewFrameRenderer } from '@strata/shared';
import { nodeViewFrameDecoder } from '@strata/runtime';
import { EdgeViewSessions, VIEW_SESSION_NAMESPACE } from '@strata/edge-node';
import { playViewSession, quantile, type ShownFrame, type ViewArchitecture, type ViewerDevice } from '@strata/device-client';
import { LinkPipe, ShapingProxy, type LinkProfileSpec } from '@strata/simulator';
import { ScoredFrameSelection } from './scored-frame-selection.js';

/** The edge end: a socket.io server with the view namespace, on loopback. */
export class LoopbackViewEdge {
  private constructor(
    private readonly http: HttpServer,
    private readonly io: Server,
    readonly sessions: EdgeViewSessions,
    readonly port: number,
    readonly token: string,
  ) {}

  static async start(renderer: ViewFrameRenderer, logger: Logger, token = 'view-token'): Promise<LoopbackViewEdge> {
    const http = createServer((_request, response) => response.writeHead(404).end());
    const io = new Server(http, { transports: ['websocket'], perMessageDeflate: false, serveClient: false, maxHttpBufferSize: 64 * 1024 });
    const sessions = new EdgeViewSessions({ renderer: () => renderer, authorize: (t) => t === token, logger });
    sessions.attach(io.of(VIEW_SESSION_NAMESPACE));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', () => resolve()));
    return new LoopbackViewEdge(http, io, sessions, (http.address() as AddressInfo).port, token);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.io.close(() => resolve()));
    this.http.closeAllConnections();
  }
}

/** A socket.io client of the view namespace at `port`, connected (or failing with the server's reason). */
export async function connectViewSocket(port: number, token: string): Promise<Socket> {
  const socket = connect(`http://127.0.0.1:${port}${VIEW_SESSION_NAMESPACE}`, {
    transports: ['websocket'],
    auth: { token },
    reconnection: false,
    forceNew: true,
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (error) => reject(error));
  });
  return socket;
}

export interface SessionFigures {
  readonly architecture: ViewArchitecture;
  /** The colour codec of the edge's frames (none for local). */
  readonly colorCodec: ViewColorCodec | 'none';
  readonly link: string;
  readonly shown: number;
  readonly fps: number;
  readonly latencyMedianMs: number;
  readonly latencyP95Ms: number;
  readonly bytesPerSecond: number;
  readonly meanPsnr: number;
  readonly edgePosesDropped: number;
  /** The frame shown closest to the middle of the path (for the image strip). */
  readonly sample?: { readonly userPose: number; readonly rgb: Float32Array };
}

export interface MeasuredSessionOptions {
  readonly architecture: ViewArchitecture;
  /** Null: no link (local rendering sends nothing). */
  readonly link: { readonly name: string; readonly profile: LinkProfileSpec } | null;
  readonly edge: LoopbackViewEdge | null;
  readonly device: ViewerDevice;
  readonly path: readonly (readonly (readonly number[])[])[];
  readonly rateHz: number;
  readonly width: number;
  readonly height: number;
  readonly fovXDegrees: number;
  /** What the edge renders at (default fast). */
  readonly quality?: 'fast' | 'draft';
  /** How the edge's colour travels (default jpeg). */
  readonly colorCodec?: ViewColorCodec;
  /** The full-quality render of pose `k` of the path (rgb floats; cached by the caller). */
  readonly reference: (k: number) => Promise<Float32Array>;
  readonly psnr: (a: Float32Array, b: Float32Array) => number;
  /** Shown frames scored against the reference, evenly spread over the session (default 12). */
  readonly scoredFrames?: number;
  readonly seed: number;
}

export async function runMeasuredSession(options: MeasuredSessionOptions): Promise<SessionFigures> {
  const { architecture, path } = options;
  let proxy: ShapingProxy | undefined;
  let socket: Socket | undefined;
  if (architecture !== 'local') {
    if (!options.edge || !options.link) throw new ConfigError(`${architecture} rendering needs an edge and a link`);
    const pipe = new LinkPipe(options.link.profile, new SeededRandom(options.seed));
    const route = { up: [{ pipe, direction: 'up' as const }], down: [{ pipe, direction: 'down' as const }] };
    proxy = await ShapingProxy.start({ target: { host: '127.0.0.1', port: options.edge.port }, route: () => route });
    socket = await connectViewSocket(proxy.port, options.edge.token);
  }
  const latencies: number[] = [];
  // The frames to score are kept and scored after the session (rendering references during it would take the
  // CPU the session is measured on), and only those: holding every shown frame (170 MB of floats for a
  // 400x400 session) made the garbage collector pause the session it measures.
  const scoredFrames = new ScoredFrameSelection(path.length, options.scoredFrames ?? 12);
  const middle = Math.floor(path.length / 2);
  let sample: { userPose: number; rgb: Float32Array } | undefined;
  const onShown = (frame: ShownFrame): void => {
    latencies.push(frame.latencyMs);
    scoredFrames.offer(frame);
    if (!sample || Math.abs(frame.userPose - middle) < Math.abs(sample.userPose - middle))
      sample = { userPose: frame.userPose, rgb: frame.rgb };
  };
  try {
    const before = proxy?.stats();
    const result = await playViewSession({
      architecture,
      path: path as never,
      rateHz: options.rateHz,
      session: {
        width: options.width,
        height: options.height,
        fovXDegrees: options.fovXDegrees,
        quality: options.quality ?? 'fast',
        colorCodec: options.colorCodec ?? 'jpeg',
      },
      device: options.device,
      decoder: nodeViewFrameDecoder,
      ...(socket ? { socket } : {}),
      onShown,
    });
    const after = proxy?.stats();
    const psnrs: number[] = [];
    for (const frame of scoredFrames.frames()) psnrs.push(options.psnr(frame.rgb, await options.reference(frame.userPose)));
    const bytes = before && after ? after.deliveredDown - before.deliveredDown + (after.deliveredUp - before.deliveredUp) : 0;
    return {
      architecture,
      colorCodec: architecture === 'local' ? 'none' : (options.colorCodec ?? 'jpeg'),
      link: options.link?.name ?? 'none',
      shown: result.shown,
      fps: result.shown / result.seconds,
      latencyMedianMs: quantile(latencies, 0.5),
      latencyP95Ms: quantile(latencies, 0.95),
      bytesPerSecond: bytes / result.seconds,
      meanPsnr: psnrs.length > 0 ? psnrs.reduce((s, v) => s + v, 0) / psnrs.length : Number.NaN,
      edgePosesDropped: result.edgePosesDropped,
      ...(sample ? { sample } : {}),
    };
  } finally {
    socket?.close();
    await proxy?.close();
  }
}
