// The frames of a secure-aggregation session (SecAgg+, privacy/secagg) on the device-edge link: each edge
// request and the device reply that answers it, as strata.proto's SecAgg* envelope bodies. The session
// starts with a training RoundRequest carrying a SecAggSetup (see round-messages.ts), which the device
// answers with its keys instead of its update:
//   RoundRequest{setup} -> AdvertiseKeys,  Roster -> ShareKeys,  ShareDelivery -> MaskedInput,
//   UnmaskRequest -> UnmaskResponse.
// Decoding checks the frame and the structure (a session id, whole words, bounded metric names); what the
// values mean (key lengths, who may send what) the SecAggDevice and SecAggEdge state machines check.

import { WireFormatError } from '../errors.js';
import type {
  AdvertiseKeys,
  MaskedInput,
  RevealedShare,
  Roster,
  SealedShares,
  ShareDelivery,
  ShareKeys,
  UnmaskRequest,
  UnmaskResponse,
} from '../privacy/secagg/secagg-messages.js';
import { littleEndianBytes, uint32View } from '../wire/byte-order.js';
import { decodeEnvelope, encodeEnvelope, type DecodedEnvelope } from '../wire/envelope-codec.js';
import type { strata } from '../wire/generated/strata.js';

/** What every device of a session is told with its training request; the roster adds its party number. */
export interface SecAggSetup {
  /** 32 bytes, unique per round, edge and iteration. */
  readonly sessionId: Uint8Array;
  readonly degree: number;
  readonly threshold: number;
  /** R of the fixed-point codec. */
  readonly clipRange: number;
  /** W: the largest weight (and row weight) a device may claim. */
  readonly weightCap: number;
  /** A training metric is at most this per unit of weight. */
  readonly metricBound: number;
  /**
   * Distributed DP: each device clips its update to this L2 norm, adds N(0, dpNoiseStd²) to every coordinate
   * (its share of the sum's noise) and weighs 1. Absent: plain secure aggregation.
   */
  readonly dpClipNorm?: number;
  readonly dpNoiseStd?: number;
}

/** Metric and tensor names a message may list: few and short (task-defined names, never data). */
export const MAX_SECAGG_NAMES = 64;
const MAX_NAME = 128;

/** Device -> edge: its keys, before the edge has numbered it, and the names of its update's metrics. */
export interface SecAggKeysReply {
  readonly cipherPublicKey: Uint8Array;
  readonly maskPublicKey: Uint8Array;
  readonly metricNames: readonly string[];
  /** Tensors its update holds as sparse rows: the session lays them out row-weighted. */
  readonly sparseTensors: readonly string[];
}

/** Edge -> device: the roster (with the device's party number) and the metrics summed under the mask. */
export interface SecAggRosterMessage extends Roster {
  readonly party: number;
  readonly metricNames: readonly string[];
  readonly sparseTensors: readonly string[];
}

export type SecAggFrame =
  | { readonly kind: 'advertiseKeys'; readonly sessionId: Uint8Array; readonly sender: string; readonly keys: SecAggKeysReply }
  | { readonly kind: 'roster'; readonly sessionId: Uint8Array; readonly roster: SecAggRosterMessage }
  | { readonly kind: 'shareKeys'; readonly sessionId: Uint8Array; readonly sender: string; readonly message: ShareKeys }
  | { readonly kind: 'shareDelivery'; readonly sessionId: Uint8Array; readonly message: ShareDelivery }
  | { readonly kind: 'maskedInput'; readonly sessionId: Uint8Array; readonly sender: string; readonly message: MaskedInput }
  | { readonly kind: 'unmaskRequest'; readonly sessionId: Uint8Array; readonly message: UnmaskRequest }
  | { readonly kind: 'unmaskResponse'; readonly sessionId: Uint8Array; readonly sender: string; readonly message: UnmaskResponse };

export type SecAggFrameKind = SecAggFrame['kind'];

const sealedToWire = (s: SealedShares): strata.ISecAggSealedShares => ({ from: s.from, to: s.to, ciphertext: s.ciphertext });
const revealedToWire = (r: RevealedShare): strata.ISecAggRevealedShare => ({ owner: r.owner, share: r.share });

export function encodeSecAggKeys(sessionId: Uint8Array, sender: string, keys: SecAggKeysReply): Uint8Array {
  return encodeEnvelope({
    sender,
    secaggAdvertiseKeys: {
      sessionId,
      party: 0,
      cipherPublicKey: keys.cipherPublicKey,
      maskPublicKey: keys.maskPublicKey,
      metricNames: [...keys.metricNames],
      sparseTensors: [...keys.sparseTensors],
    },
  });
}

export function encodeSecAggRoster(sessionId: Uint8Array, roster: SecAggRosterMessage): Uint8Array {
  return encodeEnvelope({
    secaggRoster: {
      sessionId,
      party: roster.party,
      parties: [...roster.parties],
      neighbourKeys: roster.neighbourKeys.map((k) => ({
        party: k.party,
        cipherPublicKey: k.cipherPublicKey,
        maskPublicKey: k.maskPublicKey,
      })),
      metricNames: [...roster.metricNames],
      sparseTensors: [...roster.sparseTensors],
    },
  });
}

export function encodeSecAggShareKeys(sessionId: Uint8Array, sender: string, message: ShareKeys): Uint8Array {
  return encodeEnvelope({
    sender,
    secaggShareKeys: {
      sessionId,
      party: message.party,
      seedCommitment: message.seedCommitment,
      shares: message.shares.map(sealedToWire),
    },
  });
}

export function encodeSecAggShareDelivery(sessionId: Uint8Array, message: ShareDelivery): Uint8Array {
  return encodeEnvelope({ secaggShareDelivery: { sessionId, shares: message.shares.map(sealedToWire) } });
}

export function encodeSecAggMaskedInput(sessionId: Uint8Array, sender: string, message: MaskedInput): Uint8Array {
  return encodeEnvelope({
    sender,
    secaggMaskedInput: { sessionId, party: message.party, words: littleEndianBytes(message.words) },
  });
}

export function encodeSecAggUnmaskRequest(sessionId: Uint8Array, message: UnmaskRequest): Uint8Array {
  return encodeEnvelope({ secaggUnmaskRequest: { sessionId, survivors: [...message.survivors] } });
}

export function encodeSecAggUnmaskResponse(sessionId: Uint8Array, sender: string, message: UnmaskResponse): Uint8Array {
  return encodeEnvelope({
    sender,
    secaggUnmaskResponse: {
      sessionId,
      party: message.party,
      selfSeedShares: message.selfSeedShares.map(revealedToWire),
      maskKeyShares: message.maskKeyShares.map(revealedToWire),
    },
  });
}

const bytesOf = (value: Uint8Array | null | undefined): Uint8Array => value ?? new Uint8Array(0);
const numbersOf = (values: readonly number[] | null | undefined): number[] => (values ?? []).map((v) => v >>> 0);

function namesOf(names: readonly string[] | null | undefined, what: string): string[] {
  const list = names ?? [];
  if (list.length > MAX_SECAGG_NAMES) throw new WireFormatError(`${list.length} ${what} names, at most ${MAX_SECAGG_NAMES}`);
  for (const name of list) {
    if (name.length === 0 || name.length > MAX_NAME) {
      throw new WireFormatError(`a ${what} name must be 1 to ${MAX_NAME} characters, got ${JSON.stringify(name.slice(0, 80))}`);
    }
  }
  if (new Set(list).size !== list.length) throw new WireFormatError(`${what} names repeat`);
  return [...list];
}

const sealedOf = (s: strata.ISecAggSealedShares): SealedShares => ({
  from: (s.from ?? 0) >>> 0,
  to: (s.to ?? 0) >>> 0,
  ciphertext: bytesOf(s.ciphertext),
});
const revealedOf = (r: strata.ISecAggRevealedShare): RevealedShare => ({ owner: (r.owner ?? 0) >>> 0, share: bytesOf(r.share) });
const keysOf = (k: strata.ISecAggAdvertiseKeys): AdvertiseKeys => ({
  party: (k.party ?? 0) >>> 0,
  cipherPublicKey: bytesOf(k.cipherPublicKey),
  maskPublicKey: bytesOf(k.maskPublicKey),
});

/**
 * A secure-aggregation frame from an envelope already decoded (undefined when its body is none of them).
 * Throws WireFormatError on a frame without a session id or with a broken field.
 */
export function secAggFrameOf(envelope: DecodedEnvelope): SecAggFrame | undefined {
  const sender = envelope.sender ?? '';
  const session = (id: Uint8Array | null | undefined): Uint8Array => {
    if (id?.length !== 32) throw new WireFormatError(`a secure-aggregation ${envelope.body} needs a 32-byte session id`);
    return id;
  };
  switch (envelope.body) {
    case 'secaggAdvertiseKeys': {
      const m = envelope.secaggAdvertiseKeys!;
      const { cipherPublicKey, maskPublicKey } = keysOf(m);
      return {
        kind: 'advertiseKeys',
        sessionId: session(m.sessionId),
        sender,
        keys: {
          cipherPublicKey,
          maskPublicKey,
          metricNames: namesOf(m.metricNames, 'metric'),
          sparseTensors: namesOf(m.sparseTensors, 'tensor'),
        },
      };
    }
    case 'secaggRoster': {
      const m = envelope.secaggRoster!;
      const roster = {
        party: (m.party ?? 0) >>> 0,
        parties: numbersOf(m.parties),
        neighbourKeys: (m.neighbourKeys ?? []).map(keysOf),
        metricNames: namesOf(m.metricNames, 'metric'),
        sparseTensors: namesOf(m.sparseTensors, 'tensor'),
      };
      return { kind: 'roster', sessionId: session(m.sessionId), roster };
    }
    case 'secaggShareKeys': {
      const m = envelope.secaggShareKeys!;
      const message = { party: (m.party ?? 0) >>> 0, seedCommitment: bytesOf(m.seedCommitment), shares: (m.shares ?? []).map(sealedOf) };
      return { kind: 'shareKeys', sessionId: session(m.sessionId), sender, message };
    }
    case 'secaggShareDelivery': {
      const m = envelope.secaggShareDelivery!;
      return { kind: 'shareDelivery', sessionId: session(m.sessionId), message: { shares: (m.shares ?? []).map(sealedOf) } };
    }
    case 'secaggMaskedInput': {
      const m = envelope.secaggMaskedInput!;
      const words = uint32View(bytesOf(m.words), 'secagg masked input words').slice();
      return { kind: 'maskedInput', sessionId: session(m.sessionId), sender, message: { party: (m.party ?? 0) >>> 0, words } };
    }
    case 'secaggUnmaskRequest': {
      const m = envelope.secaggUnmaskRequest!;
      return { kind: 'unmaskRequest', sessionId: session(m.sessionId), message: { survivors: numbersOf(m.survivors) } };
    }
    case 'secaggUnmaskResponse': {
      const m = envelope.secaggUnmaskResponse!;
      const message = {
        party: (m.party ?? 0) >>> 0,
        selfSeedShares: (m.selfSeedShares ?? []).map(revealedOf),
        maskKeyShares: (m.maskKeyShares ?? []).map(revealedOf),
      };
      return { kind: 'unmaskResponse', sessionId: session(m.sessionId), sender, message };
    }
    default:
      return undefined;
  }
}

/** Decodes a reply expected to be a secure-aggregation frame of `kind`; throws WireFormatError otherwise. */
export function decodeSecAggReply<K extends SecAggFrameKind>(
  frame: Uint8Array,
  kind: K,
  maxBytes?: number,
): Extract<SecAggFrame, { kind: K }> {
  const envelope = decodeEnvelope(frame, maxBytes === undefined ? {} : { maxFrameBytes: maxBytes });
  const decoded = secAggFrameOf(envelope);
  if (decoded?.kind !== kind) throw new WireFormatError(`expected a secure-aggregation ${kind}, got a ${envelope.body} envelope`);
  return decoded as Extract<SecAggFrame, { kind: K }>;
}

/** Whether two session ids are the same. */
export function sameSession(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
