// What a viewing session renders with: frames (colour, depth, opacity as floats) rather than PNG files, at
// full quality or the fast interactive march. A task that models a scene offers it (the radiance task's
// ParallelGridRenderer); the edge's session service encodes and streams what it returns.

import type { ModelParams } from '../fl/model.js';
import type { ViewSessionStart } from './view-session-protocol.js';

export interface ViewFrame {
  readonly width: number;
  readonly height: number;
  /** rgb in [0, 1], row by row. */
  readonly rgb: Float32Array;
  /** Distance along the pixel's unit ray (0 where nothing was hit). */
  readonly depth: Float32Array;
  readonly opacity: Float32Array;
  /**
   * The colour as 8-bit rgb already (unitToByte of each `rgb` value), where the renderer wrote it: the 8-bit
   * colour codecs send these bytes instead of quantising `rgb` again. Absent: they quantise `rgb`.
   */
  readonly rgb8?: Uint8Array;
}

export interface ViewFrameRenderer {
  /** The scene's depth range (what depth frames are quantised over). */
  readonly near: number;
  readonly far: number;
  /**
   * Resolves once the renderer can render at full speed (e.g. its worker threads have loaded the model): a
   * session is acknowledged only then, so the warm-up is not billed to the first frames' motion-to-photon.
   */
  ready?(): Promise<void>;
  /** Renders the camera `cameraToWorld` (4x4, NeRF convention) at the session's size and quality. */
  renderFrame(
    cameraToWorld: readonly (readonly number[])[],
    view: Pick<ViewSessionStart, 'width' | 'height' | 'fovXDegrees' | 'quality'>,
  ): Promise<ViewFrame>;
  /**
   * The caller is done with `frame` (a frame this renderer returned; it will not read it again): a later frame
   * may be rendered into its buffers instead of fresh ones (a 400x400 frame's 3.2 MB of new memory, page-faulted
   * in on every frame, cost ~10% of a splat frame's CPU). Optional, and a frame not handed back is simply dropped.
   */
  recycle?(frame: ViewFrame): void;
}

/** A task that renders frames for viewing sessions (what an edge serves on its view namespace). */
export interface ViewFrameSource {
  /** The frame renderer of `model` (read-only; the task may keep one per model). */
  frameRenderer(model: ModelParams): ViewFrameRenderer;
}

/** Whether `task` renders frames for viewing sessions. */
export function rendersFrames<T extends object>(task: T): task is T & ViewFrameSource {
  return typeof (task as Partial<ViewFrameSource>).frameRenderer === 'function';
}
