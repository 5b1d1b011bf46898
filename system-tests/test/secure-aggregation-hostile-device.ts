// A device that breaks the secure-aggregation protocol, run as its own process:
//   node secure-aggregation-hostile-device.js <edge url> <region> <node id> <token> <behaviour> <update index> <key seed>
// It is an honest DeviceClient (training on the shared test update <update index>, its keys drawn from a
// generator seeded with <key seed>) whose reply at one step is forged. Behaviours, by step:
//   keys:    wrong-session (its keys bound to another session id), replayed-keys (no forgery: two processes
//            with the same key seed advertise the same public keys, as a device replaying another's would);
//   shares:  unknown-party (a sealed share addressed to party 999, which is not in the roster);
//   input:   short-input (a masked vector one word short), oversized (a masked vector of 256k words, over the
//            link's reply limit), party-out-of-range (claims party 2^32 - 1);
//   unmask:  share-owner-out-of-range (also reveals a share of party 2^32 - 1).
// It logs JSON lines on stderr ({"msg": "connected"}, {"msg": "forged"}) so the test can wait for them.

import {
  CryptoRandom,
  decodeEnvelope,
  decodeSecAggReply,
  encodeSecAggKeys,
  encodeSecAggMaskedInput,
  encodeSecAggShareKeys,
  encodeSecAggUnmaskResponse,
  secAggFrameOf,
  sessionIdOf,
  type SecAggFrameKind,
} from '@strata/shared';
import { SocketIoTransportClient, createLogger, registerNodeEntropyCodecs } from '@strata/runtime';
import { DeviceClient } from '@strata/device-client';
import { COMPRESSION, trainerOf, updateOf } from './secure-aggregation-support.js';

const [url, region, nodeId, token, behaviour, updateIndex, keySeed] = process.argv.slice(2);
// It reads the edge's brotli frames as a device daemon does.
registerNodeEntropyCodecs();
const log = (msg: string, extra: Record<string, unknown> = {}): void =>
  void process.stderr.write(`${JSON.stringify({ msg, behaviour, ...extra })}\n`);
const OUT_OF_RANGE = 2 ** 32 - 1;

/** The reply each request calls for: a training request (no secure-aggregation frame) is answered with keys. */
const replyKind: Record<SecAggFrameKind | 'train', SecAggFrameKind | undefined> = {
  train: 'advertiseKeys',
  roster: 'shareKeys',
  shareDelivery: 'maskedInput',
  unmaskRequest: 'unmaskResponse',
  advertiseKeys: undefined,
  shareKeys: undefined,
  maskedInput: undefined,
  unmaskResponse: undefined,
};

/** The forged reply, from the honest one, for the behaviour's step; undefined at the other steps. */
const forgeries: Record<string, (reply: Uint8Array, kind: SecAggFrameKind) => Uint8Array | undefined> = {
  'wrong-session': (reply, kind) => {
    if (kind !== 'advertiseKeys') return undefined;
    return encodeSecAggKeys(sessionIdOf('another session'), nodeId, decodeSecAggReply(reply, kind).keys);
  },
  'replayed-keys': () => undefined,
  'unknown-party': (reply, kind) => {
    if (kind !== 'shareKeys') return undefined;
    const { sessionId, message } = decodeSecAggReply(reply, kind);
    const shares = [{ ...message.shares[0], to: 999 }, ...message.shares.slice(1)];
    return encodeSecAggShareKeys(sessionId, nodeId, { ...message, shares });
  },
  'short-input': (reply, kind) => {
    if (kind !== 'maskedInput') return undefined;
    const { sessionId, message } = decodeSecAggReply(reply, kind);
    return encodeSecAggMaskedInput(sessionId, nodeId, { ...message, words: message.words.subarray(1) });
  },
  oversized: (reply, kind) => {
    if (kind !== 'maskedInput') return undefined;
    const { sessionId, message } = decodeSecAggReply(reply, kind);
    return encodeSecAggMaskedInput(sessionId, nodeId, { ...message, words: new Uint32Array(256 * 1024).fill(7) });
  },
  'party-out-of-range': (reply, kind) => {
    if (kind !== 'maskedInput') return undefined;
    const { sessionId, message } = decodeSecAggReply(reply, kind);
    return encodeSecAggMaskedInput(sessionId, nodeId, { ...message, party: OUT_OF_RANGE });
  },
  'share-owner-out-of-range': (reply, kind) => {
    if (kind !== 'unmaskResponse') return undefined;
    const { sessionId, message } = decodeSecAggReply(reply, kind);
    const extra = { owner: OUT_OF_RANGE, share: message.selfSeedShares[0].share };
    return encodeSecAggUnmaskResponse(sessionId, nodeId, { ...message, selfSeedShares: [...message.selfSeedShares, extra] });
  },
};

async function main(): Promise<void> {
  const forge = forgeries[behaviour];
  if (!forge) throw new Error(`unknown behaviour ${behaviour}`);
  const device = new DeviceClient({
    nodeId,
    region,
    trainer: trainerOf(updateOf(Number(updateIndex))),
    compression: COMPRESSION,
    logger: createLogger('hostile', 'silent'),
    secureRandom: () => CryptoRandom.fromSeed(new Uint8Array(32).fill(Number(keySeed))),
  });
  const client = new SocketIoTransportClient({ token });
  await client.connect(url, { nodeId, role: 'device', region }, async (frame) => {
    const kind = replyKind[secAggFrameOf(decodeEnvelope(frame))?.kind ?? 'train'];
    const reply = await device.handle(frame);
    const forged = kind && forge(reply, kind);
    if (!forged) return reply;
    log('forged', { kind });
    return forged;
  });
  log('connected');
}

main().catch((error: unknown) => {
  log('crashed', { error: (error as Error).message });
  process.exit(1);
});
