// The model a device keeps between requests, so that its edge can send only what changed (patches) instead
// of the whole model every time. The cache checks every patch against the model it holds and the result
// against the checksum the edge sent: a device whose cache is missing, behind or wrong answers Resync and
// gets the whole model, never trains on a corrupt one.

import { cloneModel, type ModelParams } from '../fl/model.js';
import { modelChecksum } from '../wire/model-checksum.js';
import { applyPatchTensors } from '../wire/model-patch.js';
import { StrataError, WireFormatError } from '../errors.js';
import type { DecodedRoundRequest } from './round-messages.js';

/** The model to answer a request with, or why the device needs the whole model. */
export type ResolvedModel = { readonly model: ModelParams } | { readonly resync: string };

export class DeviceModelCache {
  private held: { model: ModelParams; version: number; checksum: number } | undefined;

  /** What the device holds now (for tests and metrics). */
  get state(): { readonly version: number; readonly checksum: number } | undefined {
    return this.held && { version: this.held.version, checksum: this.held.checksum };
  }

  /**
   * The model `request` asks the device to use, built from the request's whole model or from the cached
   * one and its patches (applied in place: the model returned before is updated). Throws StrataError when
   * a whole model does not match its own checksum (the edge's fault, not the cache's).
   */
  resolve(request: DecodedRoundRequest): ResolvedModel {
    if (request.model) {
      // The decoded tensors view the frame, which other devices may share: the cache owns its copy.
      const model = cloneModel(request.model);
      const checksum = modelChecksum(model);
      if (checksum !== request.checksum) {
        this.held = undefined;
        throw new StrataError('STRATA_ERR_BAD_BLOB', `the model of request ${request.roundId} does not match its checksum`);
      }
      this.held = { model, version: request.version, checksum };
      return { model };
    }
    const held = this.held;
    if (!held) return { resync: 'no model held' };
    if (request.patches.length === 0) {
      return held.checksum === request.checksum ? { model: held.model } : { resync: 'holds another model' };
    }
    if (request.patches[0].base.checksum !== held.checksum) return { resync: 'holds another model' };
    try {
      for (const patch of request.patches) applyPatchTensors(held.model, patch.tensors, patch.additive);
    } catch (error) {
      if (!(error instanceof WireFormatError)) throw error;
      this.held = undefined;
      return { resync: error.message };
    }
    const checksum = modelChecksum(held.model);
    if (checksum !== request.checksum) {
      this.held = undefined;
      return { resync: 'checksum mismatch after patching' };
    }
    this.held = { model: held.model, version: request.version, checksum };
    return { model: held.model };
  }

  /** Forgets the model (the next request needs the whole model). */
  clear(): void {
    this.held = undefined;
  }
}
