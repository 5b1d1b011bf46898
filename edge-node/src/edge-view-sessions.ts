// Viewing sessions at the edge (remote and co-rendering): a device opens a socket.io connection on the view
// namespace, starts a session and streams camera poses; the edge renders the newest pose it holds with the
// task's ViewFrameRenderer and streams JPEG frames (plus depth when co-rendering). Pacing: one render at a
// time per session (the next may start while the last one is encoded), and at most `maxInFlight` frames sent and not yet reported shown; poses that arrive
// meanwhile replace the pending one (the stale ones are dropped and counted), so a slow link or a slow
// renderer lowers the frame rate instead of growing a queue. Bad messages get a `view:error` naming the
// problem; none stops the session or the daemon.

import type { Namespace, Socket } from 'socket.io';
import {
  ConfigError,
  VIEW_SESSION_EVENTS as EV,
  parseViewPose,
  parseViewSessionStart,
  type Logger,
  type ViewErrorMessage,
  type ViewFrameMessage,
  type ViewFrameRenderer,
  type ViewPose,
  type ViewSessionStart,
} from '@strata/shared';
import { encodeDepthFrame, encodeColorFrame } from '@strata/runtime';

/** Where an edge daemon serves viewing sessions on its devices' socket.io server. */
export const VIEW_SESSION_NAMESPACE = '/view';

export interface EdgeViewSessionsOptions {
  /** The renderer of the edge's newest model; undefined: no model yet (sessions are refused). */
  readonly renderer: () => ViewFrameRenderer | undefined;
  /** Whether the handshake's `auth.token` lets a device view (the device token or a device credential). */
  readonly authorize: (token: string) => boolean | Promise<boolean>;
  readonly logger: Logger;
  /** Told of each message refused (which event it was; `render` when rendering it failed), for metrics. */
  readonly onRefused?: (what: ViewRefusal) => void;
  /** Told of each frame sent and its bytes, for metrics. */
  readonly onFrame?: (bytes: number) => void;
}

/** What a refused view message was: a session start, a pose, a shown report, or a pose whose render failed. */
export type ViewRefusal = 'start' | 'pose' | 'shown' | 'render';

/** Counters over every session, for the edge's metrics and tests. */
export interface ViewSessionCounters {
  sessions: number;
  framesSent: number;
  bytesSent: number;
  posesReceived: number;
  posesDropped: number;
  refused: number;
}

export class EdgeViewSessions {
  readonly counters: ViewSessionCounters = { sessions: 0, framesSent: 0, bytesSent: 0, posesReceived: 0, posesDropped: 0, refused: 0 };

  constructor(private readonly options: EdgeViewSessionsOptions) {}

  /** Serves sessions on `namespace` (e.g. `io.of('/view')`), authenticating every handshake first. */
  attach(namespace: Namespace): void {
    namespace.use((socket, next) => {
      const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
      if (typeof token !== 'string' || token.length === 0) return next(new Error('unauthorized: send auth.token (the device token)'));
      Promise.resolve(this.options.authorize(token)).then(
        (ok) => next(ok ? undefined : new Error('unauthorized: the token was refused')),
        (error: unknown) => next(error instanceof Error ? error : new Error(String(error))),
      );
    });
    namespace.on('connection', (socket) => new ViewSession(socket, this.options, this.counters));
  }
}

class ViewSession {
  private start: ViewSessionStart | undefined;
  private pending: ViewPose | undefined;
  private lastSeq = -1;
  private frame = 0;
  private inFlight = 0;
  private rendering = false;
  private posesDropped = 0;

  constructor(
    private readonly socket: Socket,
    private readonly options: EdgeViewSessionsOptions,
    private readonly counters: ViewSessionCounters,
  ) {
    socket.on(EV.start, (body: unknown, ack?: unknown) => this.onStart(body, ack));
    socket.on(EV.pose, (body: unknown) => this.onPose(body));
    socket.on(EV.shown, (body: unknown) => this.onShown(body));
    socket.on(EV.stop, () => {
      this.start = undefined;
      this.pending = undefined;
    });
  }

  private refuse(what: ViewRefusal, message: string): void {
    this.counters.refused++;
    this.options.onRefused?.(what);
    this.options.logger.warn({ device: this.socket.id, reason: message }, 'view session message refused');
    const error: ViewErrorMessage = { code: 'STRATA_ERR_VIEW_SESSION', message };
    this.socket.emit(EV.error, error);
  }

  private onStart(body: unknown, ack: unknown): void {
    const reply = typeof ack === 'function' ? (ack as (answer: unknown) => void) : () => undefined;
    const refused = (error: unknown): void => {
      const message = error instanceof Error ? error.message : String(error);
      this.refuse('start', message);
      reply({ ok: false, code: 'STRATA_ERR_VIEW_SESSION', message });
    };
    let start: ViewSessionStart;
    let renderer: ViewFrameRenderer | undefined;
    try {
      start = parseViewSessionStart(body);
      renderer = this.options.renderer();
      if (!renderer) throw new ConfigError('no model yet: the edge renders its newest global model and holds none');
    } catch (error) {
      refused(error);
      return;
    }
    this.start = undefined;
    this.pending = undefined;
    // Acknowledged once the renderer is warm (worker threads loaded), so the device's clock starts then.
    (renderer.ready?.() ?? Promise.resolve()).then(() => {
      this.start = start;
      this.pending = undefined;
      this.lastSeq = -1;
      this.inFlight = 0;
      this.counters.sessions++;
      reply({ ok: true });
    }, refused);
  }

  private onPose(body: unknown): void {
    if (!this.start) {
      this.refuse('pose', 'view pose before view:start: start a session first');
      return;
    }
    let pose: ViewPose;
    try {
      pose = parseViewPose(body);
    } catch (error) {
      this.refuse('pose', error instanceof Error ? error.message : String(error));
      return;
    }
    if (pose.seq <= this.lastSeq) {
      this.refuse('pose', `view pose seq ${pose.seq} is not newer than ${this.lastSeq}`);
      return;
    }
    this.lastSeq = pose.seq;
    this.counters.posesReceived++;
    if (this.pending) {
      this.posesDropped++;
      this.counters.posesDropped++;
    }
    this.pending = pose;
    this.pump();
  }

  private onShown(body: unknown): void {
    const frame = (body as { frame?: unknown } | null)?.frame;
    if (!Number.isInteger(frame) || (frame as number) < 0 || (frame as number) >= this.frame) {
      this.refuse('shown', `view:shown names frame ${JSON.stringify(frame)}, not one this session sent`);
      return;
    }
    if (this.inFlight > 0) this.inFlight--;
    this.pump();
  }

  private pump(): void {
    const start = this.start;
    const pose = this.pending;
    if (!start || !pose || this.rendering || this.inFlight >= start.maxInFlight || !this.socket.connected) return;
    const renderer = this.options.renderer();
    if (!renderer) return;
    this.pending = undefined;
    this.rendering = true;
    this.inFlight++;
    // The next render may start as soon as this one's pixels are back: its workers render while this thread
    // encodes (the frame is still counted in flight until it is shown).
    let released = false;
    const renderDone = (): void => {
      if (released) return;
      released = true;
      this.rendering = false;
      this.pump();
    };
    this.render(renderer, start, pose, renderDone)
      .catch((error: unknown) => {
        this.inFlight--;
        this.refuse('render', `render failed: ${error instanceof Error ? error.message : String(error)}`);
      })
      .finally(renderDone);
  }

  private async render(renderer: ViewFrameRenderer, start: ViewSessionStart, pose: ViewPose, renderDone: () => void): Promise<void> {
    const rendered = performance.now();
    const view = await renderer.renderFrame(pose.cameraToWorld, start);
    renderDone();
    const encoding = performance.now();
    const color = encodeColorFrame(start.colorCodec, view.rgb, view.width, view.height, start.jpegQuality, view.rgb8);
    const depth = start.mode === 'co' ? encodeDepthFrame(view.depth, renderer.near, renderer.far) : undefined;
    renderer.recycle?.(view); // encoded: the next frames may render into its buffers
    const done = performance.now();
    if (this.start !== start) return void this.inFlight--; // restarted or stopped meanwhile
    const message: ViewFrameMessage = {
      frame: this.frame++,
      poseSeq: pose.seq,
      sampledAt: pose.sampledAt,
      cameraToWorld: pose.cameraToWorld,
      width: view.width,
      height: view.height,
      renderMs: encoding - rendered,
      encodeMs: done - encoding,
      posesDropped: this.posesDropped,
      color,
      ...(depth ? { depth } : {}),
    };
    this.counters.framesSent++;
    this.counters.bytesSent += color.byteLength + (depth?.byteLength ?? 0);
    this.options.onFrame?.(color.byteLength + (depth?.byteLength ?? 0));
    this.socket.emit(EV.frame, message);
  }
}
