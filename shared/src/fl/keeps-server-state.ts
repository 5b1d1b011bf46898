// What a strategy or a task keeps at the cloud between rounds beyond the model (a server optimizer's moments,
// the Gaussian task's Adam moments and pooled statistic): the coordinator saves it with every version it
// publishes and restores it when it resumes, so that a resumed run goes on exactly as an uninterrupted one.

import type { ModelParams } from './model.js';

export interface KeepsServerState {
  /**
   * The state now, as bytes (encodeServerState's layout); undefined where this configuration keeps none. The
   * coordinator calls it after each round's step, before it commits the new version.
   */
  serverState?(): Uint8Array | undefined;
  /**
   * Replaces the state with what serverState() returned, for the global `model` it was saved with. Throws
   * ServerStateError, changing nothing, when the bytes are not a state this owner wrote for this model.
   */
  restoreServerState?(bytes: Uint8Array, model: ModelParams): void;
}
