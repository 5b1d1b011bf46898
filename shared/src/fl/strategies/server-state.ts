// Per-tensor server optimizer state (momentum, Adam moments), zero until first touched; saved and restored
// as named arrays (encodeServerState's layout) so that a resumed coordinator keeps its optimizer's state.

import { InvalidUpdateError } from '../../errors.js';
import { decodeServerState, encodeServerState } from '../server-state-bytes.js';

/** The layout of a strategy's saved buffers (one entry per buffer, by key). */
const LAYOUT = 1;

export class ServerState {
  private buffers = new Map<string, Float32Array>();

  /** The buffer under `key`, `length` zeros when first asked for. */
  buffer(key: string, length: number): Float32Array {
    let values = this.buffers.get(key);
    if (!values) {
      values = new Float32Array(length);
      this.buffers.set(key, values);
    } else if (values.length !== length) {
      throw new InvalidUpdateError('shape', `server state "${key}" holds ${values.length} values but the model tensor has ${length}`);
    }
    return values;
  }

  /** Every buffer, as bytes saved by `owner` (the strategy's name). */
  save(owner: string): Uint8Array {
    return encodeServerState(owner, LAYOUT, this.buffers);
  }

  /**
   * Replaces every buffer with the ones `owner` saved; `lengthOf` says how many values a key's buffer must hold
   * (undefined: a key this strategy never makes). Throws ServerStateError, keeping the buffers, otherwise.
   */
  restore(bytes: Uint8Array, owner: string, lengthOf: (key: string) => number | undefined): void {
    this.buffers = decodeServerState(bytes, `the saved state of strategy ${owner}`, { owner, layout: LAYOUT, lengthOf });
  }
}
