// A device playing a camera path in a viewing session and showing frames, under one of three architectures:
// local (it renders every pose itself from the model it holds), remote (it sends poses over the socket.io
// link and shows the edge's JPEG frames as they arrive), co (it shows the edge's newest colour + depth frame
// warped to the pose it has now, holes filled by a cheap local render). Poses are sampled on a fixed clock
// (the path's rate); what the user sees is recorded per shown frame: the pose index the user had when it was
// shown, the time from that content's pose being sampled to it being shown (motion-to-photon), the image.
// The scene-specific work (rendering, warping) is the task's, through ViewerDevice; decoding the frames is the
// platform's, through ViewFrameDecoder (the runtime's codec in Node, the browser's own decoders in a page), so
// this file bundles for a browser page as it is.

import {
  ConfigError,
  StrataError,
  VIEW_SESSION_EVENTS as EV,
  type ViewColorCodec,
  type ViewErrorMessage,
  type ViewFrameMessage,
  type ViewPose,
  type ViewSessionStartInput,
} from '@strata/shared';

export type ViewArchitecture = 'local' | 'remote' | 'co';
export const viewArchitectures: readonly ViewArchitecture[] = ['local', 'remote', 'co'];

type Matrix = ViewPose['cameraToWorld'];

/** A frame from the edge as the device holds it for warping. */
export interface HeldFrame {
  readonly cameraToWorld: Matrix;
  readonly rgb: Float32Array;
  readonly depth: Float32Array;
}

/** The device's own rendering, with its CPU: what local rendering and co-rendering's fill run on. */
export interface ViewerDevice {
  readonly near: number;
  readonly far: number;
  /** Renders the pose at the session's size (fast quality). */
  renderLocal(cameraToWorld: Matrix): Promise<Float32Array>;
  /** The newest edge frame warped to `cameraToWorld`, holes filled by a low-resolution local render. */
  compose(frame: HeldFrame | undefined, cameraToWorld: Matrix): Promise<Float32Array>;
}

// biome-ignore lint/suspicious/noExplicitAny: socket.io-client's own listener type (each event has its payload)
type ViewListener = (...args: any[]) => void;

/**
 * What the player needs of a socket.io client socket on the edge's view namespace (written out so that the
 * Node and the browser builds of socket.io-client, whose declarations differ, both fit).
 */
export interface ViewSocket {
  on(event: string, listener: ViewListener): unknown;
  off(event: string, listener: ViewListener): unknown;
  emit(event: string, ...args: unknown[]): unknown;
  timeout(ms: number): { emitWithAck(event: string, ...args: unknown[]): Promise<unknown> };
}

/** Decodes the edge's frames (view-frame-codec.ts is the Node one); either may answer with a promise. */
export interface ViewFrameDecoder {
  /** Colour in the session's codec (JPEG unless the session asked otherwise) to rgb floats in [0, 1], row by row. */
  color(bytes: Uint8Array, width: number, height: number, codec?: ViewColorCodec): Float32Array | Promise<Float32Array>;
  /** Deflated depth steps to distances (0: nothing hit). */
  depth(bytes: Uint8Array, pixels: number, near: number, far: number): Float32Array | Promise<Float32Array>;
}

export interface ShownFrame {
  /** Index in the path of the pose the user had when the frame was shown. */
  readonly userPose: number;
  /** Index of the pose the shown content was rendered (or warped) for. */
  readonly contentPose: number;
  readonly latencyMs: number;
  readonly rgb: Float32Array;
}

export interface PlayOptions {
  readonly architecture: ViewArchitecture;
  /** The camera path, one pose per tick. */
  readonly path: readonly Matrix[];
  /** Poses per second (the path's sampling rate, 30-60 Hz). */
  readonly rateHz: number;
  readonly session: Omit<ViewSessionStartInput, 'mode'>;
  readonly device: ViewerDevice;
  readonly decoder: ViewFrameDecoder;
  /** Connected to the edge's view namespace; not needed for local. */
  readonly socket?: ViewSocket;
  readonly onShown: (frame: ShownFrame) => void;
  /** How long to wait for frames in flight after the last pose (default 1000 ms). */
  readonly drainMs?: number;
}

export interface PlayResult {
  readonly shown: number;
  readonly seconds: number;
  /** Payload bytes received (colour + depth). */
  readonly payloadBytes: number;
  readonly framesReceived: number;
  /** Poses the edge replaced before rendering (its report in the last frame). */
  readonly edgePosesDropped: number;
  /** Ticks the device skipped because it was still busy with the previous one (local, co). */
  readonly ticksSkipped: number;
  /** Remote frames decoded after a newer one had been shown, and so not shown (decoding may be asynchronous). */
  readonly framesOvertaken: number;
}

/** Plays `options.path` and resolves when it has been played and the frames in flight have arrived. */
export async function playViewSession(options: PlayOptions): Promise<PlayResult> {
  const { architecture, path, rateHz, device, decoder, socket } = options;
  if (!(rateHz > 0 && rateHz <= 240)) throw new ConfigError(`view session: rate ${rateHz} Hz must be in (0, 240]`);
  if (path.length === 0) throw new ConfigError('view session: the camera path is empty');
  if (architecture !== 'local' && !socket) throw new ConfigError(`view session: ${architecture} rendering needs a socket to the edge`);
  const period = 1000 / rateHz;
  // The path's clock starts once the edge has acknowledged the session (it answers when its renderer is warm).
  let started = performance.now();
  const tickOf = (now: number): number => Math.min(path.length - 1, Math.max(0, Math.floor((now - started) / period)));
  const sampledAt: number[] = [];
  let shown = 0,
    payloadBytes = 0,
    framesReceived = 0,
    edgePosesDropped = 0,
    ticksSkipped = 0,
    framesOvertaken = 0,
    newestFrame = -1,
    newestShown = -1,
    busy = false,
    held: (HeldFrame & { pose: number }) | undefined,
    failure: Error | undefined;
  const show = (rgb: Float32Array, contentPose: number): void => {
    const now = performance.now();
    shown++;
    options.onShown({ userPose: tickOf(now), contentPose, latencyMs: now - sampledAt[contentPose], rgb });
  };

  const onFrame = async (message: ViewFrameMessage): Promise<void> => {
    try {
      framesReceived++;
      payloadBytes += message.color.byteLength + (message.depth?.byteLength ?? 0);
      edgePosesDropped = message.posesDropped;
      const n = message.width * message.height;
      if (!Number.isInteger(message.poseSeq) || message.poseSeq < 0 || message.poseSeq >= sampledAt.length)
        throw new StrataError('STRATA_ERR_VIEW_SESSION', `view frame names pose ${message.poseSeq}, which was never sent`);
      if (architecture !== 'remote' && !message.depth) throw new StrataError('STRATA_ERR_VIEW_SESSION', 'co-rendering frame without depth');
      const [rgb, depth] = await Promise.all([
        decoder.color(message.color, message.width, message.height, options.session.colorCodec ?? 'jpeg'),
        message.depth ? decoder.depth(message.depth, n, device.near, device.far) : undefined,
      ]);
      newestFrame = Math.max(newestFrame, message.poseSeq);
      if (architecture === 'remote') {
        // A frame whose decoding finished after a newer frame's was shown would take the user back in time.
        if (message.poseSeq < newestShown) framesOvertaken++;
        else {
          newestShown = message.poseSeq;
          show(rgb, message.poseSeq);
        }
      } else if (depth && (!held || held.pose < message.poseSeq))
        held = { cameraToWorld: message.cameraToWorld, rgb, depth, pose: message.poseSeq };
      socket?.emit(EV.shown, { frame: message.frame });
    } catch (error) {
      failure ??= error instanceof Error ? error : new Error(String(error));
    }
  };
  const frameListener = (message: ViewFrameMessage): void => void onFrame(message);
  const onError = (message: ViewErrorMessage): void => {
    failure ??= new StrataError('STRATA_ERR_VIEW_SESSION', `the edge refused the session: ${message.message}`);
  };

  if (architecture !== 'local' && socket) {
    socket.on(EV.frame, frameListener);
    socket.on(EV.error, onError);
    // Generous: the edge answers once its renderer's workers have loaded the model (seconds for a large grid).
    const answer = (await socket
      .timeout(60_000)
      .emitWithAck(EV.start, { ...options.session, mode: architecture === 'co' ? 'co' : 'remote' })) as {
      ok: boolean;
      message?: string;
    };
    if (!answer.ok) throw new StrataError('STRATA_ERR_VIEW_SESSION', `view session refused: ${answer.message}`);
    started = performance.now();
  }

  const tick = async (k: number): Promise<void> => {
    sampledAt[k] = performance.now();
    const pose = path[k];
    if (architecture !== 'local') socket?.emit(EV.pose, { seq: k, sampledAt: sampledAt[k], cameraToWorld: pose });
    if (architecture === 'remote') return;
    if (busy) return void ticksSkipped++;
    busy = true;
    try {
      const rgb = architecture === 'local' ? await device.renderLocal(pose) : await device.compose(held, pose);
      show(rgb, k);
    } finally {
      busy = false;
    }
  };

  try {
    for (let k = 0; k < path.length; k++) {
      const wait = started + k * period - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      // Ticks run on the clock, not one after the other: a busy device skips ticks instead of falling behind.
      tick(k).catch((error: unknown) => {
        failure ??= error instanceof Error ? error : new Error(String(error));
      });
      if (failure) throw failure;
    }
    const drainUntil = performance.now() + (options.drainMs ?? 1000);
    // The edge never drops the newest pose, so the last pose's frame is the last to wait for.
    const waiting = (): boolean => busy || (architecture !== 'local' && newestFrame < path.length - 1);
    while (performance.now() < drainUntil && waiting()) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    if (failure) throw failure;
  } finally {
    if (socket) {
      socket.emit(EV.stop);
      socket.off(EV.frame, frameListener);
      socket.off(EV.error, onError);
    }
  }
  return {
    shown,
    seconds: (performance.now() - started) / 1000,
    payloadBytes,
    framesReceived,
    edgePosesDropped,
    ticksSkipped,
    framesOvertaken,
  };
}

/** The q-quantile of `values` (nearest rank); NaN when empty. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}
