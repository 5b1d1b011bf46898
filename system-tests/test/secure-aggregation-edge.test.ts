// Secure aggregation at one edge over real sockets on loopback: real DeviceClients (socket.io) answer an
// edge-round job with secure aggregation on. The edge's update is the plaintext FedAvg of the same updates
// within the fixed-point bound, also when a third of the devices drop out (half after sharing their keys,
// half after sending their masked input); what the edge receives from one device is uniform words of the
// same length whatever rows the device touched.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CryptoRandom, decodeEnvelope, decodeSecAggReply, secAggFrameOf, type ClientConnection, type SparseRows } from '@strata/shared';
import { SocketIoTransportClient, createLogger } from '@strata/runtime';
import { DeviceClient } from '@strata/device-client';
import {
  COMPRESSION,
  FACTORS,
  ITEMS,
  SecureEdge,
  assertPlaintextMean,
  trainerOf,
  updateOf,
  type SecureJobRun,
} from './secure-aggregation-support.js';

const logger = createLogger('test', 'silent');
const REGION = 'west';
const TOKEN = 'secure-aggregation-edge-test';
const DEVICES = 12;

type Drop = 'after-sharing' | 'after-input' | undefined;

interface Run extends SecureJobRun {
  /** The bytes of each device's masked-input reply, as the edge received them. */
  readonly maskedFrames: Map<number, Uint8Array>;
}

async function runSecureJob(drops: ReadonlyMap<number, Drop>): Promise<Run> {
  const edge = await SecureEdge.start(TOKEN, REGION);
  const transport = new SocketIoTransportClient({ token: TOKEN });
  const connections: ClientConnection[] = [];
  const maskedFrames = new Map<number, Uint8Array>();
  try {
    for (let i = 0; i < DEVICES; i++) {
      const nodeId = `device-${String(i).padStart(2, '0')}`;
      const device = new DeviceClient({
        nodeId,
        region: REGION,
        trainer: trainerOf(updateOf(i)),
        compression: COMPRESSION,
        logger,
        secureRandom: () => CryptoRandom.fromSeed(new Uint8Array(32).fill(100 + i)),
      });
      let connection: ClientConnection | undefined;
      connection = await transport.connect(edge.server.address, { nodeId, role: 'device', region: REGION }, async (frame) => {
        const kind = secAggFrameOf(decodeEnvelope(frame))?.kind;
        const drop = drops.get(i);
        // A device that goes away: it closes its link instead of answering, and never answers again.
        if ((drop === 'after-sharing' && kind === 'shareDelivery') || (drop === 'after-input' && kind === 'unmaskRequest')) {
          void connection?.close();
          return new Promise<Uint8Array>(() => {});
        }
        const reply = await device.handle(frame);
        if (kind === 'shareDelivery') maskedFrames.set(i, reply);
        return reply;
      });
      connections.push(connection);
    }
    return { ...(await edge.run(REGION)), maskedFrames };
  } finally {
    for (const c of connections) await c.close();
    await edge.stop();
  }
}

test("over real sockets, the edge's secure sum is the plaintext FedAvg of its devices' updates within the fixed-point bound", async () => {
  const { result, edgeUpdate, maskedFrames } = await runSecureJob(new Map());
  assert.equal(result.participation.answered, DEVICES);
  assert.equal(result.participation.secAggAborted ?? 0, 0);
  assert.ok(edgeUpdate);
  assertPlaintextMean(
    edgeUpdate,
    Array.from({ length: DEVICES }, (_, i) => i),
    DEVICES,
  );
  const samples = Array.from({ length: DEVICES }, (_, i) => updateOf(i).weight).reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(result.metrics.samples - samples) < 1e-6, `samples ${result.metrics.samples} vs ${samples} (the weight, unmasked)`);
  assert.ok(
    Math.abs(result.metrics.loss - 0.7 * samples) < 1e-4,
    `loss sum ${result.metrics.loss} vs ${0.7 * samples} (summed under the mask)`,
  );
  assert.equal(maskedFrames.size, DEVICES);
});

test('a third of the devices dropping out (after sharing, after their masked input) still gives the right sum', async () => {
  const drops = new Map<number, Drop>([
    [1, 'after-sharing'],
    [6, 'after-sharing'],
    [3, 'after-input'],
    [10, 'after-input'],
  ]);
  const { result, edgeUpdate } = await runSecureJob(drops);
  // Inputs that reached the edge are in the sum, including those of devices that left before unmasking.
  const included = Array.from({ length: DEVICES }, (_, i) => i).filter((i) => drops.get(i) !== 'after-sharing');
  assert.equal(result.participation.answered, included.length);
  assert.equal(result.participation.secAggRecovered, 2, 'the two devices that left after sharing had their masks removed');
  assert.equal(result.participation.secAggAborted ?? 0, 0);
  assert.ok(edgeUpdate);
  assertPlaintextMean(edgeUpdate, included, DEVICES);
});

test('what the edge receives from one device is uniform words, of one length whatever rows the device touched', async () => {
  const { maskedFrames } = await runSecureJob(new Map());
  const lengths = new Set([...maskedFrames.values()].map((f) => f.byteLength));
  assert.equal(lengths.size, 1, 'every masked input frame has the same size');
  const touchedCounts = new Set(
    Array.from({ length: DEVICES }, (_, i) => (updateOf(i).delta.get('item.factors') as SparseRows).rows.length),
  );
  assert.ok(touchedCounts.size > 1, 'the devices touched different numbers of rows');

  const words = decodeSecAggReply(maskedFrames.get(0)!, 'maskedInput').message.words;
  // Chi-square of the words' top bytes against uniform: 256 bins, 255 degrees of freedom; 330.5 is p = 0.001.
  const bins = new Float64Array(256);
  for (const w of words) bins[w >>> 24]++;
  const expected = words.length / 256;
  const chi2 = bins.reduce((s, o) => s + (o - expected) ** 2 / expected, 0);
  assert.ok(chi2 < 330.5, `chi-square ${chi2.toFixed(1)} over ${words.length} words`);

  // The row-weight words say which rows a device touched in the clear (zero elsewhere); masked, a guess of the
  // touched rows from them (the rows with the smallest words) does no better than chance.
  const touched = new Set((updateOf(0).delta.get('item.factors') as SparseRows).rows);
  const rowWeightWords = Array.from({ length: ITEMS }, (_, r) => ({ r, w: words[ITEMS * FACTORS + r] }));
  const guess = rowWeightWords.sort((a, b) => Math.min(a.w, 2 ** 32 - a.w) - Math.min(b.w, 2 ** 32 - b.w)).slice(0, touched.size);
  const hits = guess.filter((g) => touched.has(g.r)).length;
  assert.ok(hits <= 2, `${hits} of ${touched.size} touched rows guessed (chance: ${((touched.size * touched.size) / ITEMS).toFixed(2)})`);
  process.stdout.write(`# masked words chi-square ${chi2.toFixed(1)} (df 255); touched rows guessed ${hits}/${touched.size}\n`);
});
