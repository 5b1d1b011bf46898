// The frames of a round, built on the wire codec: the edge's RoundRequest (a model to train from or
// evaluate), the device's (or edge's) Update reply, and model blobs. Tiers use only these functions, so a
// message's shape is defined once.

import { StrataError, WireFormatError } from '../errors.js';
import type { ModelParams, ModelUpdate } from '../fl/model.js';
import { decodeEnvelope, encodeEnvelope } from '../wire/envelope-codec.js';
import { ErrorFeedback } from '../wire/error-feedback.js';
import { strata } from '../wire/generated/strata.js';
import { decodeModel, encodeModel } from '../wire/model-codec.js';
import { assertCompatible, assertFinite } from '../wire/update-checks.js';
import { decodeUpdate, encodeUpdate, type DecodedUpdate } from '../wire/update-codec.js';
import type { Compression } from './compression.js';

export interface RoundRequestMessage {
  readonly roundId: string;
  readonly round: number;
  readonly kind: 'train' | 'evaluate';
  readonly localSteps: number;
  readonly options: Record<string, number>;
  readonly model: ModelParams;
  readonly version: number;
}

export interface UpdateHeader {
  readonly roundId: string;
  readonly baseVersion: number;
  readonly sender: string;
}

const limitsFor = (maxBytes: number | undefined) => (maxBytes === undefined ? {} : { maxFrameBytes: maxBytes });

export function encodeRoundRequest(request: RoundRequestMessage): Uint8Array {
  return encodeEnvelope({
    roundRequest: {
      roundId: request.roundId,
      round: request.round,
      kind: request.kind === 'evaluate' ? strata.RoundRequest.Kind.EVALUATE : strata.RoundRequest.Kind.TRAIN,
      localSteps: request.localSteps,
      options: request.options,
      model: encodeModel(request.model, request.version),
    },
  });
}

/** Decodes a RoundRequest frame; the model's tensors are zero-copy views of `frame` where aligned. */
export function decodeRoundRequest(frame: Uint8Array, maxBytes?: number): RoundRequestMessage {
  const envelope = decodeEnvelope(frame, limitsFor(maxBytes));
  const request = envelope.roundRequest;
  if (envelope.body !== 'roundRequest' || !request) {
    throw new WireFormatError(`expected a round_request envelope, got ${envelope.body}`);
  }
  const { params, version } = decodeModel(request.model, limitsFor(maxBytes));
  return {
    roundId: request.roundId ?? '',
    round: request.round ?? 0,
    kind: request.kind === strata.RoundRequest.Kind.EVALUATE ? 'evaluate' : 'train',
    localSteps: request.localSteps ?? 0,
    options: { ...request.options },
    model: params,
    version,
  };
}

/** Encodes one sender's updates with its compression, keeping its error-feedback state between rounds. */
export class UpdateEncoder {
  private readonly feedback: ErrorFeedback | undefined;

  constructor(private readonly compression: Compression) {
    this.feedback = compression.dtype !== 'float32' && compression.errorFeedback ? new ErrorFeedback() : undefined;
  }

  encode(update: ModelUpdate, header: UpdateHeader): Uint8Array {
    return encodeEnvelope({
      sender: header.sender,
      update: encodeUpdate(update, {
        roundId: header.roundId,
        baseVersion: header.baseVersion,
        dtype: this.compression.dtype,
        perRowScale: this.compression.perRowScale,
        errorFeedback: this.feedback,
      }),
    });
  }

  /** Float32, no error feedback: for replies whose numbers must arrive exactly (evaluation sums). */
  encodeUncompressed(update: ModelUpdate, header: UpdateHeader): Uint8Array {
    return encodeEnvelope({
      sender: header.sender,
      update: encodeUpdate(update, { roundId: header.roundId, baseVersion: header.baseVersion, dtype: 'float32' }),
    });
  }
}

export function decodeUpdateReply(frame: Uint8Array, maxBytes?: number): DecodedUpdate & { sender: string } {
  const envelope = decodeEnvelope(frame, limitsFor(maxBytes));
  if (envelope.body !== 'update' || !envelope.update) {
    throw new WireFormatError(`expected an update envelope, got ${envelope.body}`);
  }
  return { ...decodeUpdate(envelope.update, limitsFor(maxBytes)), sender: envelope.sender };
}

/** A model as a stored blob (a Model envelope, float32). */
export function encodeModelBlob(model: ModelParams, version: number): Uint8Array {
  return encodeEnvelope({ model: encodeModel(model, version) });
}

export function decodeModelBlob(blob: Uint8Array): { model: ModelParams; version: number } {
  const envelope = decodeEnvelope(blob);
  if (envelope.body !== 'model' || !envelope.model) {
    throw new StrataError('STRATA_ERR_BAD_BLOB', `expected a model blob, got a ${envelope.body} envelope`);
  }
  const { params, version } = decodeModel(envelope.model);
  return { model: params, version };
}

/** Throws InvalidUpdateError (non_finite, shape, unknown_tensor) when `update` cannot be applied to `model`. */
export function validateUpdate(update: ModelUpdate, model: ModelParams): void {
  assertFinite(update);
  assertCompatible(update, model);
}
