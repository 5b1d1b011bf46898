// A model update on the wire (the Update message, sent up the hierarchy), compressed as configured, with
// optional error feedback carrying each round's quantisation loss into the next.

import { WireFormatError } from '../errors.js';
import type { ModelUpdate, TensorValue } from '../fl/model.js';
import type { ErrorFeedback } from './error-feedback.js';
import type { strata } from './generated/strata.js';
import { encodeEnvelope } from './envelope-codec.js';
import { decodeTensorList, encodeTensor, encodeTensorForFrame, type TensorEncoding } from './tensor-codec.js';
import { wireLimits, type WireLimits } from './wire-limits.js';

export interface UpdateEncodingOptions extends TensorEncoding {
  readonly roundId: string;
  /** The model version the update is a delta against. */
  readonly baseVersion: number;
  /** Carries quantisation residuals across rounds (one instance per sender, kept between rounds). */
  readonly errorFeedback?: ErrorFeedback;
}

export interface DecodedUpdate {
  readonly roundId: string;
  readonly baseVersion: number;
  readonly update: ModelUpdate;
}

/** The Update message for `update`. */
export function encodeUpdate(update: ModelUpdate, options: UpdateEncodingOptions): strata.IUpdate {
  const feedback = options.errorFeedback;
  return updateMessage(update, options, (name, value, encoding) =>
    feedback ? feedback.encode(name, value, encoding) : encodeTensor(name, value, encoding),
  );
}

/**
 * The frame of an Envelope from `sender` holding encodeUpdate(update, options), byte for byte, with every
 * float16 and int8 payload computed straight into the frame (encodeTensorForFrame) instead of into arrays
 * that are then copied; error feedback keeps its residuals from the payloads as written.
 */
export function encodeUpdateFrame(sender: string, update: ModelUpdate, options: UpdateEncodingOptions): Uint8Array {
  const feedback = options.errorFeedback;
  const written: (() => void)[] = [];
  const message = updateMessage(update, options, (name, value, encoding) => {
    if (!feedback) return encodeTensorForFrame(name, value, encoding);
    const encoded = feedback.encodeForFrame(name, value, encoding);
    written.push(encoded.written);
    return encoded.message;
  });
  const frame = encodeEnvelope({ sender, update: message });
  for (const keepResidual of written) keepResidual();
  return frame;
}

type TensorEncoder = (name: string, value: TensorValue, encoding: TensorEncoding) => strata.ITensor;

function updateMessage(update: ModelUpdate, options: UpdateEncodingOptions, encodeOne: TensorEncoder): strata.IUpdate {
  const encoding: TensorEncoding = { dtype: options.dtype, perRowScale: options.perRowScale, topKFraction: options.topKFraction };
  const tensors: strata.ITensor[] = [];
  for (const [name, value] of update.delta) tensors.push(encodeOne(name, value, encoding));
  return {
    roundId: options.roundId,
    baseVersion: options.baseVersion,
    weight: update.weight,
    tensors,
    metrics: { ...update.metrics },
  };
}

/**
 * The update an Update message holds, after checking every tensor; throws WireFormatError. Non-finite
 * values are not a wire error: check them with assertFinite before aggregating.
 */
export function decodeUpdate(message: strata.IUpdate | null | undefined, limits: Partial<WireLimits> = {}): DecodedUpdate {
  if (!message) throw new WireFormatError('update is missing');
  const delta = new Map<string, TensorValue>();
  for (const { name, value } of decodeTensorList(message.tensors, wireLimits(limits), 'update')) delta.set(name, value);
  return {
    roundId: message.roundId ?? '',
    baseVersion: message.baseVersion ?? 0,
    update: { delta, weight: message.weight ?? 0, metrics: Object.fromEntries(Object.entries(message.metrics ?? {})) },
  };
}
