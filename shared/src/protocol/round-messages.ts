// The frames of a round, built on the wire codec: the edge's RoundRequest (a model to train from or
// evaluate), the device's (or edge's) Update reply, and model blobs. Tiers use only these functions, so a
// message's shape is defined once.

import { StrataError, WireFormatError } from '../errors.js';
import type { ModelParams, ModelUpdate } from '../fl/model.js';
import { decodeEnvelope, encodeEnvelope, type DecodedEnvelope } from '../wire/envelope-codec.js';
import type { EntropyCoding } from '../wire/entropy-codecs.js';
import { ErrorFeedback } from '../wire/error-feedback.js';
import { compressFrame } from '../wire/frame-compression.js';
import { strata } from '../wire/generated/strata.js';
import { modelChecksum } from '../wire/model-checksum.js';
import { decodeModel, encodeModel } from '../wire/model-codec.js';
import { decodeModelPatch, type DecodedModelPatch } from '../wire/model-patch.js';
import { assertCompatible, assertFinite } from '../wire/update-checks.js';
import { decodeUpdate, encodeUpdate, encodeUpdateFrame, type DecodedUpdate } from '../wire/update-codec.js';
import type { Compression } from './compression.js';
import type { SecAggSetup } from './secure-aggregation-frames.js';

/** What every device asked in one exchange is told, whatever model it is sent. */
export interface RoundRequestHeader {
  readonly roundId: string;
  readonly round: number;
  readonly kind: 'train' | 'evaluate';
  readonly localSteps: number;
  readonly options: Record<string, number>;
  /** Training under secure aggregation: the device answers with its keys and keeps its update for the session. */
  readonly secureAggregation?: SecAggSetup;
}

/** A request that carries its whole model (float32). */
export interface RoundRequestMessage extends RoundRequestHeader {
  readonly model: ModelParams;
  readonly version: number;
}

/** The model part of a request as encoded: the whole model, or patches to the one the device holds. */
export interface RoundRequestModel {
  readonly version: number;
  /** modelChecksum of the model to train from. */
  readonly checksum: number;
  readonly model?: strata.IModel;
  readonly patches?: strata.IModelPatch[];
}

/** A decoded request: `model` when it carries the whole model, else `patches` (maybe none) to the one held. */
export interface DecodedRoundRequest extends RoundRequestHeader {
  readonly version: number;
  readonly checksum: number;
  readonly model?: ModelParams;
  readonly patches: readonly DecodedModelPatch[];
}

export interface UpdateHeader {
  readonly roundId: string;
  readonly baseVersion: number;
  readonly sender: string;
}

const limitsFor = (maxBytes: number | undefined) => (maxBytes === undefined ? {} : { maxFrameBytes: maxBytes });

/** A request carrying its whole model as float32. */
export function encodeRoundRequest(request: RoundRequestMessage): Uint8Array {
  return encodeRoundRequestFrame(request, {
    version: request.version,
    checksum: modelChecksum(request.model),
    model: encodeModel(request.model, request.version),
  });
}

export function encodeRoundRequestFrame(header: RoundRequestHeader, body: RoundRequestModel): Uint8Array {
  return encodeEnvelope({
    roundRequest: {
      roundId: header.roundId,
      round: header.round,
      kind: header.kind === 'evaluate' ? strata.RoundRequest.Kind.EVALUATE : strata.RoundRequest.Kind.TRAIN,
      localSteps: header.localSteps,
      options: header.options,
      version: body.version,
      modelChecksum: body.checksum,
      ...(body.model ? { model: body.model } : { patches: body.patches ?? [] }),
      ...(header.secureAggregation ? { secureAggregation: header.secureAggregation } : {}),
    },
  });
}

/** Decodes a RoundRequest frame; tensors are zero-copy views of `frame` where aligned. */
export function decodeRoundRequest(frame: Uint8Array, maxBytes?: number): DecodedRoundRequest {
  return roundRequestOf(decodeEnvelope(frame, limitsFor(maxBytes)), maxBytes);
}

/** The RoundRequest of an envelope already decoded (WireFormatError when it holds another body). */
export function roundRequestOf(envelope: DecodedEnvelope, maxBytes?: number): DecodedRoundRequest {
  const request = envelope.roundRequest;
  if (envelope.body !== 'roundRequest' || !request) {
    throw new WireFormatError(`expected a round_request envelope, got ${envelope.body}`);
  }
  const header: RoundRequestHeader = {
    roundId: request.roundId ?? '',
    round: request.round ?? 0,
    kind: request.kind === strata.RoundRequest.Kind.EVALUATE ? 'evaluate' : 'train',
    localSteps: request.localSteps ?? 0,
    options: { ...request.options },
    ...(request.secureAggregation ? { secureAggregation: secAggSetupOf(request.secureAggregation) } : {}),
  };
  const checksum = (request.modelChecksum ?? 0) >>> 0;
  if (request.model) {
    const { params, version } = decodeModel(request.model, limitsFor(maxBytes));
    return { ...header, version, checksum, model: params, patches: [] };
  }
  const patches = (request.patches ?? []).map((patch) => decodeModelPatch(patch, limitsFor(maxBytes)));
  return { ...header, version: request.version ?? 0, checksum, patches };
}

function secAggSetupOf(setup: strata.ISecAggSetup): SecAggSetup {
  const sessionId = setup.sessionId;
  if (sessionId?.length !== 32) throw new WireFormatError('a secure-aggregation setup needs a 32-byte session id');
  const positive = (value: number | null | undefined, field: string): number => {
    if (!(typeof value === 'number' && value > 0 && Number.isFinite(value))) {
      throw new WireFormatError(`secure-aggregation setup: ${field} must be a positive number, got ${value}`);
    }
    return value;
  };
  const decoded: SecAggSetup = {
    sessionId,
    degree: positive(setup.degree, 'degree'),
    threshold: positive(setup.threshold, 'threshold'),
    clipRange: positive(setup.clipRange, 'clip_range'),
    weightCap: positive(setup.weightCap, 'weight_cap'),
    metricBound: positive(setup.metricBound, 'metric_bound'),
  };
  if (!setup.dpClipNorm) return decoded;
  const dpClipNorm = positive(setup.dpClipNorm, 'dp_clip_norm');
  if (dpClipNorm > decoded.clipRange) {
    throw new WireFormatError(`secure-aggregation setup: dp_clip_norm ${dpClipNorm} is over clip_range ${decoded.clipRange}`);
  }
  return { ...decoded, dpClipNorm, dpNoiseStd: positive(setup.dpNoiseStd, 'dp_noise_std') };
}

/** A device's answer when a request's patches do not apply to the model it holds: send the whole model. */
export function encodeResync(roundId: string, reason: string, sender: string): Uint8Array {
  return encodeEnvelope({ sender, resync: { roundId, reason } });
}

/** A Resync is a round id and a reason: one expanding past this is not one (and is not expanded further). */
const MAX_RESYNC_BYTES = 64 * 1024;

/**
 * Whether a device's reply is a Resync (anything that does not decode is not: the edge rejects it later).
 * Bounded by MAX_RESYNC_BYTES, so a compressed reply is never expanded past that here.
 */
export function isResync(frame: Uint8Array): boolean {
  try {
    return decodeEnvelope(frame, { maxFrameBytes: MAX_RESYNC_BYTES }).body === 'resync';
  } catch {
    return false;
  }
}

/** Encodes one sender's updates with its compression, keeping its error-feedback state between rounds. */
export class UpdateEncoder {
  private readonly feedback: ErrorFeedback | undefined;

  constructor(private readonly compression: Compression) {
    const lossy = compression.dtype !== 'float32' || (compression.topKFraction ?? 1) < 1;
    this.feedback = lossy && compression.errorFeedback ? new ErrorFeedback() : undefined;
  }

  encode(update: ModelUpdate, header: UpdateHeader): Uint8Array {
    const frame = encodeUpdateFrame(header.sender, update, {
      roundId: header.roundId,
      baseVersion: header.baseVersion,
      dtype: this.compression.dtype,
      perRowScale: this.compression.perRowScale,
      topKFraction: this.compression.topKFraction,
      errorFeedback: this.feedback,
    });
    return compressFrame(frame, this.compression.entropy);
  }

  /** Float32, no error feedback: for replies whose numbers must arrive exactly (evaluation sums). */
  encodeUncompressed(update: ModelUpdate, header: UpdateHeader): Uint8Array {
    const frame = encodeEnvelope({
      sender: header.sender,
      update: encodeUpdate(update, { roundId: header.roundId, baseVersion: header.baseVersion, dtype: 'float32' }),
    });
    // Lossless entropy coding keeps the numbers exact; evaluation sums are mostly under the coder's threshold.
    return compressFrame(frame, this.compression.entropy);
  }
}

export function decodeUpdateReply(frame: Uint8Array, maxBytes?: number): DecodedUpdate & { sender: string } {
  const envelope = decodeEnvelope(frame, limitsFor(maxBytes));
  if (envelope.body !== 'update' || !envelope.update) {
    throw new WireFormatError(`expected an update envelope, got ${envelope.body}`);
  }
  return { ...decodeUpdate(envelope.update, limitsFor(maxBytes)), sender: envelope.sender };
}

/** A model as a stored blob (a Model envelope, float32), through `entropy` (the downlink's) when given. */
export function encodeModelBlob(model: ModelParams, version: number, entropy: EntropyCoding = 'none'): Uint8Array {
  return compressFrame(encodeEnvelope({ model: encodeModel(model, version) }), entropy);
}

export function decodeModelBlob(blob: Uint8Array): { model: ModelParams; version: number } {
  const envelope = decodeEnvelope(blob);
  if (envelope.body !== 'model' || !envelope.model) {
    throw new StrataError('STRATA_ERR_BAD_BLOB', `expected a model blob, got a ${envelope.body} envelope`);
  }
  const { params, version } = decodeModel(envelope.model);
  return { model: params, version };
}

/**
 * A ModelPatch as a stored blob (a ModelPatch envelope): what the coordinator writes for edges beside a version's
 * model, through `entropy` (the downlink's) when given.
 */
export function encodeModelPatchBlob(patch: strata.IModelPatch, entropy: EntropyCoding = 'none'): Uint8Array {
  return compressFrame(encodeEnvelope({ modelPatch: patch }), entropy);
}

/** Decodes a patch blob; WireFormatError when it holds something else or does not decode (the edge then reads the whole model). */
export function decodeModelPatchBlob(blob: Uint8Array): DecodedModelPatch {
  const envelope = decodeEnvelope(blob);
  if (envelope.body !== 'modelPatch' || !envelope.modelPatch) {
    throw new WireFormatError(`expected a model patch blob, got a ${envelope.body} envelope`);
  }
  return decodeModelPatch(envelope.modelPatch);
}

/** Throws InvalidUpdateError (non_finite, shape, unknown_tensor) when `update` cannot be applied to `model`. */
export function validateUpdate(update: ModelUpdate, model: ModelParams): void {
  assertFinite(update);
  assertCompatible(update, model);
}
