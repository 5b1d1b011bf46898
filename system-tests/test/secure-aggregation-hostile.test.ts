// Hostile devices against secure aggregation at an edge: eight separate processes, each an honest device but
// for one forged secure-aggregation message (another session's keys, copied public keys, a share for a party
// not in the roster, a masked vector one word short or far too long, a party number or share owner out of
// range). Each forgery is refused and counted under its own reason, the session completes with the right sum
// of the devices whose inputs were accepted, the edge keeps serving (a second job completes the same way),
// and once too few honest devices are left, the session aborts and is counted: nothing is published.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { CryptoRandom, type ClientConnection } from '@strata/shared';
import { SocketIoTransportClient, createLogger } from '@strata/runtime';
import { DeviceClient } from '@strata/device-client';
import { COMPRESSION, SecureEdge, assertPlaintextMean, trainerOf, updateOf } from './secure-aggregation-support.js';
import { DaemonProcess } from './distributed-support.js';

const REGION = 'hostile';
const TOKEN = 'secure-aggregation-hostile-test';
const HONEST = 10;
/** Generous: eight device processes share a loaded machine, and a late reply would count as a dropout, not a refusal. */
const STEP_SECONDS = 60;
const logger = createLogger('test', 'silent');

/** Each hostile process: its behaviour, the test update it trains on, the seed of its keys. */
const HOSTILE = [
  { behaviour: 'wrong-session', update: 10, keySeed: 40 },
  { behaviour: 'replayed-keys', update: 11, keySeed: 41 },
  { behaviour: 'replayed-keys', update: 11, keySeed: 41 },
  { behaviour: 'unknown-party', update: 12, keySeed: 42 },
  { behaviour: 'short-input', update: 13, keySeed: 43 },
  { behaviour: 'oversized', update: 14, keySeed: 44 },
  { behaviour: 'party-out-of-range', update: 15, keySeed: 45 },
  { behaviour: 'share-owner-out-of-range', update: 16, keySeed: 46 },
];

test('forged secure-aggregation messages from separate processes are refused by reason; the honest sum is right', {
  timeout: 400_000,
}, async () => {
  const edge = await SecureEdge.start(TOKEN, REGION);
  const transport = new SocketIoTransportClient({ token: TOKEN });
  const honest: ClientConnection[] = [];
  const hostile: DaemonProcess[] = [];
  try {
    for (let i = 0; i < HONEST; i++) {
      const nodeId = `honest-${i}`;
      const device = new DeviceClient({
        nodeId,
        region: REGION,
        trainer: trainerOf(updateOf(i)),
        compression: COMPRESSION,
        logger,
        secureRandom: () => CryptoRandom.fromEntropy(),
      });
      honest.push(await transport.connect(edge.server.address, { nodeId, role: 'device', region: REGION }, (f) => device.handle(f)));
    }
    for (const [k, { behaviour, update, keySeed }] of HOSTILE.entries()) {
      const args = [edge.server.address, REGION, `hostile-${k}`, TOKEN, behaviour, String(update), String(keySeed)];
      hostile.push(new DaemonProcess(behaviour, join(import.meta.dirname, 'secure-aggregation-hostile-device.js'), args));
    }
    for (const process of hostile) await process.waitForMessage('connected', 120_000);

    // Accepted inputs: the honest ones, the copied keys that came first, and the device that only forges at unmask.
    const included = [...Array.from({ length: HONEST }, (_, i) => i), 11, 16];
    for (let job = 1; job <= 2; job++) {
      const { result, edgeUpdate } = await edge.run(REGION, STEP_SECONDS);
      const p = result.participation;
      assert.deepEqual(
        { ...p.rejected },
        { secagg_session: 1, secagg_replay: 1, secagg_party: 3, secagg_length: 1, malformed: 1 },
        `job ${job}: each forgery counted under its reason, the oversized vector (refused by the link) as malformed (${JSON.stringify(p)})`,
      );
      assert.equal(p.answered, included.length, `job ${job}: every accepted input is in the sum`);
      assert.equal(p.secAggRecovered, 3, 'the three devices refused after sharing had their masks removed');
      assert.equal(p.secAggAborted ?? 0, 0);
      assert.equal(edge.refusals.get('oversized'), job, 'the oversized masked vector was refused by the link');
      assert.ok(edgeUpdate, 'the session published the sum');
      assertPlaintextMean(edgeUpdate, included, HONEST + HOSTILE.length);
    }
    for (const process of hostile) {
      assert.ok(process.running, `${process.name} was refused, not crashed`);
      assert.equal(process.lines.filter((l) => l.msg === 'forged').length, process.name === 'replayed-keys' ? 0 : 2);
    }

    // Seven honest devices leave: 3 honest inputs and 2 accepted hostile ones are below the threshold of 8.
    for (const connection of honest.splice(3)) await connection.close();
    const { result, edgeUpdate } = await edge.run(REGION, STEP_SECONDS);
    assert.equal(result.participation.secAggAborted, 1, 'the session below the threshold aborted, counted');
    assert.equal(edgeUpdate, undefined, 'and published nothing');
  } finally {
    for (const process of hostile) process.kill();
    for (const connection of honest) await connection.close();
    await edge.stop();
  }
});
