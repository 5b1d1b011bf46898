// What a task that models a scene offers besides training: renders of a model from any camera. An edge with
// such a task renders views for its devices (remote rendering, POST /render); a device can render locally
// with the same code. The tiers only see this interface: they never depend on the task's package.

import type { ModelParams } from '../fl/model.js';
import type { ViewRequest } from './view-request.js';

export interface ViewImage {
  readonly width: number;
  readonly height: number;
  /** The image as a PNG file. */
  readonly png: Uint8Array;
}

export interface ViewRenderer {
  /** Renders `model` (read-only; it may be shared) as `request` asks. */
  renderView(model: ModelParams, request: ViewRequest): Promise<ViewImage>;
}

/** Whether `task` (a FederatedTask, say) renders views. */
export function rendersViews<T extends object>(task: T): task is T & ViewRenderer {
  return typeof (task as Partial<ViewRenderer>).renderView === 'function';
}
