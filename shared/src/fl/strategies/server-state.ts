// Per-tensor server optimizer state (momentum, Adam moments), zero until first touched.

import { InvalidUpdateError } from '../../errors.js';

export class ServerState {
  private readonly buffers = new Map<string, Float32Array>();

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
}
