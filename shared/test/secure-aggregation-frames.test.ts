// The secure-aggregation frames on the device-edge link: every message survives encoding as its Envelope
// body, the setup rides in a training RoundRequest, and frames that break the structure are refused with a
// WireFormatError naming what is wrong.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  WireFormatError,
  decodeEnvelope,
  decodeRoundRequest,
  decodeSecAggReply,
  encodeEnvelope,
  encodeRoundRequestFrame,
  encodeSecAggKeys,
  encodeSecAggMaskedInput,
  encodeSecAggRoster,
  encodeSecAggShareDelivery,
  encodeSecAggShareKeys,
  encodeSecAggUnmaskRequest,
  encodeSecAggUnmaskResponse,
  secAggFrameOf,
} from '../src/index.js';

const session = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
const key = (fill: number) => new Uint8Array(32).fill(fill);

test('each secure-aggregation message decodes to what was encoded', () => {
  const keys = decodeSecAggReply(
    encodeSecAggKeys(session, 'device-1', {
      cipherPublicKey: key(1),
      maskPublicKey: key(2),
      metricNames: ['loss'],
      sparseTensors: ['item_embedding'],
    }),
    'advertiseKeys',
  );
  assert.equal(keys.sender, 'device-1');
  assert.deepEqual(keys.sessionId, session);
  assert.deepEqual(keys.keys.maskPublicKey, key(2));
  assert.deepEqual(keys.keys.sparseTensors, ['item_embedding']);

  const roster = secAggFrameOf(
    decodeEnvelope(
      encodeSecAggRoster(session, {
        party: 2,
        parties: [1, 2, 3],
        neighbourKeys: [{ party: 1, cipherPublicKey: key(3), maskPublicKey: key(4) }],
        metricNames: ['loss'],
        sparseTensors: [],
      }),
    ),
  );
  assert.equal(roster?.kind, 'roster');
  if (roster?.kind === 'roster') {
    assert.equal(roster.roster.party, 2);
    assert.deepEqual(roster.roster.parties, [1, 2, 3]);
    assert.deepEqual(roster.roster.neighbourKeys[0].cipherPublicKey, key(3));
  }

  const sealed = { from: 2, to: 3, ciphertext: new Uint8Array(70).fill(9) };
  const shareKeys = decodeSecAggReply(
    encodeSecAggShareKeys(session, 'device-2', { party: 2, seedCommitment: key(5), shares: [sealed] }),
    'shareKeys',
  );
  assert.deepEqual(shareKeys.message.shares, [sealed]);
  const delivery = secAggFrameOf(decodeEnvelope(encodeSecAggShareDelivery(session, { shares: [sealed] })));
  assert.equal(delivery?.kind, 'shareDelivery');

  const words = Uint32Array.from([0, 1, 2 ** 32 - 1, 123456789]);
  const masked = decodeSecAggReply(encodeSecAggMaskedInput(session, 'device-2', { party: 2, words }), 'maskedInput');
  assert.deepEqual([...masked.message.words], [...words]);

  const request = secAggFrameOf(decodeEnvelope(encodeSecAggUnmaskRequest(session, { survivors: [1, 3] })));
  assert.deepEqual(request?.kind === 'unmaskRequest' && request.message.survivors, [1, 3]);
  const response = decodeSecAggReply(
    encodeSecAggUnmaskResponse(session, 'device-3', {
      party: 3,
      selfSeedShares: [{ owner: 1, share: new Uint8Array(44).fill(7) }],
      maskKeyShares: [],
    }),
    'unmaskResponse',
  );
  assert.equal(response.message.selfSeedShares[0].owner, 1);
});

test('the setup rides in a training request and decodes with it', () => {
  const setup = { sessionId: session, degree: 10, threshold: 6, clipRange: 2, weightCap: 50, metricBound: 100 };
  const frame = encodeRoundRequestFrame(
    { roundId: 'r1', round: 1, kind: 'train', localSteps: 1, options: {}, secureAggregation: setup },
    { version: 1, checksum: 0, patches: [] },
  );
  assert.deepEqual(decodeRoundRequest(frame).secureAggregation, setup);
  const plain = encodeRoundRequestFrame(
    { roundId: 'r1', round: 1, kind: 'train', localSteps: 1, options: {} },
    { version: 1, checksum: 0 },
  );
  assert.equal(decodeRoundRequest(plain).secureAggregation, undefined);
});

test('frames without a session id, with broken words or with too many names are refused, naming the problem', () => {
  const noSession = encodeEnvelope({ secaggUnmaskRequest: { survivors: [1] } });
  assert.throws(
    () => secAggFrameOf(decodeEnvelope(noSession)),
    (e: Error) => e instanceof WireFormatError && /32-byte session id/.test(e.message),
  );
  const oddWords = encodeEnvelope({ sender: 'd', secaggMaskedInput: { sessionId: session, party: 1, words: new Uint8Array(7) } });
  assert.throws(() => decodeSecAggReply(oddWords, 'maskedInput'), WireFormatError);
  const names = Array.from({ length: 65 }, (_, i) => `m${i}`);
  const tooMany = encodeEnvelope({ sender: 'd', secaggAdvertiseKeys: { sessionId: session, metricNames: names } });
  assert.throws(() => decodeSecAggReply(tooMany, 'advertiseKeys'), /65 metric names, at most 64/);
  const wrongKind = encodeSecAggUnmaskRequest(session, { survivors: [1] });
  assert.throws(() => decodeSecAggReply(wrongKind, 'maskedInput'), /expected a secure-aggregation maskedInput/);
  const badSetup = encodeEnvelope({ roundRequest: { roundId: 'r', secureAggregation: { sessionId: session, degree: 0 } } });
  assert.throws(() => decodeRoundRequest(badSetup), /degree must be a positive number/);
});
