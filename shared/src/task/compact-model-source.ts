// What a device downloads to render a scene itself (local rendering, and co-rendering's hole fill): the task's
// compact form of a model (for the radiance task, the .strc file of compact-model-file.ts). An edge with such
// a task serves its newest model's at GET /compact-model, with the device token as a bearer token.

import type { ModelParams } from '../fl/model.js';

export const COMPACT_MODEL_ROUTE = {
  path: '/compact-model',
  versionHeader: 'x-strata-model-version',
} as const;

export interface CompactModelSource {
  /**
   * The compact file of `model` (read-only; the task may cache it per model). Asynchronous: encoding may take
   * seconds, and the edge that serves it must keep serving its devices meanwhile.
   */
  compactModel(model: ModelParams): Promise<Uint8Array>;
}

/** Whether `task` offers compact models to download. */
export function offersCompactModels<T extends object>(task: T): task is T & CompactModelSource {
  return typeof (task as Partial<CompactModelSource>).compactModel === 'function';
}

/**
 * The compact file of the newest model a task was asked for, encoded once: requests that come while it encodes
 * share the one encoding, a newer model replaces it, and a failed encoding is not kept (the next request tries
 * again).
 */
export class NewestCompactModel {
  private newest: { model: ModelParams; bytes: Promise<Uint8Array> } | undefined;

  get(model: ModelParams, encode: (model: ModelParams) => Promise<Uint8Array>): Promise<Uint8Array> {
    if (this.newest?.model !== model) {
      const entry = { model, bytes: encode(model) };
      this.newest = entry;
      entry.bytes.catch(() => {
        if (this.newest === entry) this.newest = undefined;
      });
    }
    return this.newest.bytes;
  }
}
