// Secure aggregation's cost per round: bytes each device sends and receives against a plaintext float32
// upload, and CPU time per device and at the edge, running the real SecAgg+ state machines in one process
// (no transport). Message sizes are those of the frames on the link: strata.proto's SecAgg* Envelope bodies as
// secure-aggregation-frames.ts encodes them. Figures, not pass/fail. Usage:
//   node bench/dist/src/secagg-bench.js [--devices 100,1000] [--params 100000,10000] [--dropout-rate 0.333,0.1]
//     [--drop 0] [--max-agreements 100000]
// Each pair of --devices/--params is one case; each case runs with the graph for each planned dropout rate
// (secAggParameters), and --drop is the fraction of devices that drop out after sharing (their pairwise
// masks are then rebuilt at the edge). A case whose X25519 work (2 agreements per device and neighbour, at
// about 2.5 ms each in pure JS here) is over --max-agreements is measured in parts instead (marked *): one
// real SecAggDevice among k neighbours whose messages are made with the same primitives (its time is
// exact: a device's work depends on k, not n), and the edge's work without dropouts (summing n inputs,
// rebuilding n self-mask seeds from t shares each, checking and removing n self masks); its bytes come
// from the same message sizes.

import { parseArgs } from 'node:util';
import {
  CryptoRandom,
  FixedPointCodec,
  MaskedVectorLayout,
  SEALED_SHARES_BYTES,
  SHARE_BYTES,
  SecAggDevice,
  SecAggEdge,
  applyMask,
  encodeSecAggKeys,
  encodeSecAggMaskedInput,
  encodeSecAggRoster,
  encodeSecAggShareDelivery,
  encodeSecAggShareKeys,
  encodeSecAggUnmaskRequest,
  encodeSecAggUnmaskResponse,
  generateKeyPair,
  reconstructSecret,
  sealShares,
  secAggParameters,
  seedCommitment,
  selfMaskKey,
  sessionIdOf,
  shareEncryptionKeys,
  shareSecret,
  type AdvertiseKeys,
  type ModelUpdate,
  type SecAggSession,
} from '@strata/shared';

const SESSION = new Uint8Array(32).fill(1);
const SENDER = 'device-0001';
/** The bytes of a message as the link carries it: its Envelope frame (strata.proto's SecAgg* bodies, aligned). */
// biome-ignore lint/suspicious/noExplicitAny: the bench passes each message kind through one switch
function sizeOf(type: string, message: any): number {
  switch (type) {
    case 'SecAggAdvertiseKeys':
      return encodeSecAggKeys(SESSION, SENDER, { ...message, metricNames: [], sparseTensors: [] }).byteLength;
    case 'SecAggRoster':
      return encodeSecAggRoster(SESSION, { party: 1, metricNames: [], sparseTensors: [], ...message }).byteLength;
    case 'SecAggShareKeys':
      return encodeSecAggShareKeys(SESSION, SENDER, message).byteLength;
    case 'SecAggShareDelivery':
      return encodeSecAggShareDelivery(SESSION, message).byteLength;
    case 'SecAggMaskedInput':
      return encodeSecAggMaskedInput(SESSION, SENDER, message).byteLength;
    case 'SecAggUnmaskRequest':
      return encodeSecAggUnmaskRequest(SESSION, message).byteLength;
    case 'SecAggUnmaskResponse':
      return encodeSecAggUnmaskResponse(SESSION, SENDER, message).byteLength;
    default:
      throw new Error(`unknown message ${type}`);
  }
}

const { values: args } = parseArgs({
  options: {
    devices: { type: 'string', default: '100,1000' },
    params: { type: 'string', default: '100000,10000' },
    'dropout-rate': { type: 'string', default: '0.333,0.1' },
    drop: { type: 'string', default: '0' },
    'max-agreements': { type: 'string', default: '100000' },
  },
});
const list = (s: string): number[] => s.split(',').map(Number);
const deviceCounts = list(args.devices);
const paramCounts = list(args.params);
const dropoutRates = list(args['dropout-rate']);
const dropFraction = Number(args.drop);
const maxAgreements = Number(args['max-agreements']);

interface Timing {
  device: number[];
  edge: number;
  up: number;
  down: number;
}

const now = (): number => performance.now();
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Bytes per device of one round with n devices, degree k and m parameters, as the messages encode: up, down. */
function wireBytes(n: number, k: number, m: number): { up: number; down: number } {
  const key = new Uint8Array(32);
  const keys = { party: n, cipherPublicKey: key, maskPublicKey: key };
  const sealed = { from: n, to: n, ciphertext: new Uint8Array(SEALED_SHARES_BYTES) };
  const share = { owner: n, share: new Uint8Array(SHARE_BYTES) };
  const up =
    sizeOf('SecAggAdvertiseKeys', keys) +
    sizeOf('SecAggShareKeys', { party: n, seedCommitment: key, shares: Array(k).fill(sealed) }) +
    sizeOf('SecAggMaskedInput', { party: n, words: new Uint32Array(m + 1) }) +
    sizeOf('SecAggUnmaskResponse', { party: n, selfSeedShares: Array(k).fill(share), maskKeyShares: [] });
  const down =
    sizeOf('SecAggRoster', { parties: Array.from({ length: n }, (_, i) => i + 1), neighbourKeys: Array(k).fill(keys) }) +
    sizeOf('SecAggShareDelivery', { shares: Array(k).fill(sealed) }) +
    sizeOf('SecAggUnmaskRequest', { survivors: Array.from({ length: n }, (_, i) => i + 1) });
  return { up, down };
}

/** Each device's own generator, keyed from the bench's seeded stream so runs repeat. */
const deviceRandom = (random: CryptoRandom): CryptoRandom => CryptoRandom.fromSeed(random.fill(new Uint8Array(32)));

async function runRound(n: number, m: number, session: SecAggSession, drop: number): Promise<Timing> {
  const random = CryptoRandom.fromSeed(new Uint8Array(32).fill(7));
  const device = new Array<number>(n).fill(0);
  let edgeTime = 0;
  const onEdge = async <T>(work: () => T | Promise<T>): Promise<T> => {
    const start = now();
    const result = await work();
    edgeTime += now() - start;
    return result;
  };
  const onDevice = async <T>(i: number, work: () => T | Promise<T>): Promise<T> => {
    const start = now();
    const result = await work();
    device[i] += now() - start;
    return result;
  };
  const devices = Array.from({ length: n }, (_, i) => new SecAggDevice(i + 1, session, deviceRandom(random)));
  const values = Float32Array.from({ length: m }, () => 0.01 * random.normal());
  const update: ModelUpdate = { delta: new Map([['w', { kind: 'dense', shape: [m], values }]]), weight: 1, metrics: {} };
  const edge = new SecAggEdge(session);
  // The messages of the last device (a survivor), encoded, for its bytes up and down.
  const last = n - 1;
  let up = 0;
  let down = 0;
  const sent = <T extends object>(i: number, type: string, message: T): T => {
    if (i === last) up += sizeOf(type, message);
    return message;
  };
  const received = <T extends object>(i: number, type: string, message: T): T => {
    if (i === last) down += sizeOf(type, message);
    return message;
  };
  for (const [i, d] of devices.entries()) {
    const keys = sent(i, 'SecAggAdvertiseKeys', await onDevice(i, () => d.advertiseKeys()));
    await onEdge(() => edge.receiveKeys(keys));
  }
  const rosters = await onEdge(() => edge.closeAdvertising());
  for (const [i, d] of devices.entries()) {
    const roster = received(i, 'SecAggRoster', rosters.get(d.party)!);
    const s = sent(i, 'SecAggShareKeys', await onDevice(i, () => d.shareKeys(roster)));
    await onEdge(() => edge.receiveShares(s));
  }
  const deliveries = await onEdge(() => edge.closeSharing());
  const dropped = Math.round(drop * n);
  for (const [i, d] of devices.entries()) {
    const delivery = received(i, 'SecAggShareDelivery', deliveries.get(d.party)!);
    const input = await onDevice(i, () => d.maskInput(update, delivery));
    sent(i, 'SecAggMaskedInput', input);
    if (i >= dropped) await onEdge(() => edge.receiveMaskedInput(input));
  }
  const request = await onEdge(() => edge.closeMasking());
  for (const [i, d] of devices.entries()) {
    if (i < dropped) continue;
    const r = sent(i, 'SecAggUnmaskResponse', await onDevice(i, () => d.unmask(received(i, 'SecAggUnmaskRequest', request))));
    await onEdge(() => edge.receiveUnmask(r));
  }
  const aggregate = await onEdge(() => edge.finish());
  if (aggregate.parties !== n - dropped) throw new Error(`sum over ${aggregate.parties} devices, expected ${n - dropped}`);
  return { device: device.slice(dropped), edge: edgeTime, up, down };
}

/** One real device among k neighbours (complete graph on k + 1 parties): its time over the round, in ms. */
async function oneDevice(k: number, m: number, session: SecAggSession): Promise<number> {
  const random = CryptoRandom.fromSeed(new Uint8Array(32).fill(11));
  const device = new SecAggDevice(1, session, deviceRandom(random));
  const neighbours = Array.from({ length: k }, (_, i) => ({
    party: i + 2,
    cipher: generateKeyPair(random),
    mask: generateKeyPair(random),
  }));
  const neighbourKeys: AdvertiseKeys[] = neighbours.map((v) => ({
    party: v.party,
    cipherPublicKey: v.cipher.publicKey,
    maskPublicKey: v.mask.publicKey,
  }));
  const values = new Float32Array(m).fill(0.01);
  const update: ModelUpdate = { delta: new Map([['w', { kind: 'dense', shape: [m], values }]]), weight: 1, metrics: {} };
  let start = now();
  const own = device.advertiseKeys();
  await device.shareKeys({ parties: Array.from({ length: k + 1 }, (_, i) => i + 1), neighbourKeys });
  let elapsed = now() - start;
  const shares = neighbours.map((v) => {
    const { toPeer } = shareEncryptionKeys(v.cipher.secretKey, own.cipherPublicKey, session.sessionId, v.party, 1);
    const [maskKeyShare, selfSeedShare] = [0, 1].map(() => shareSecret(random.fill(new Uint8Array(32)), [1], 1, random)[0]);
    return { from: v.party, to: 1, ciphertext: sealShares(toPeer, session.sessionId, v.party, 1, { maskKeyShare, selfSeedShare }) };
  });
  start = now();
  await device.maskInput(update, { shares });
  device.unmask({ survivors: Array.from({ length: k + 1 }, (_, i) => i + 1) });
  elapsed += now() - start;
  return elapsed;
}

/** The edge's work for n inputs of m + 1 words without dropouts: sum, rebuild and check n seeds from t shares, remove n self masks. */
function edgeWithoutDropouts(n: number, m: number, t: number, session: SecAggSession): number {
  const random = CryptoRandom.fromSeed(new Uint8Array(32).fill(13));
  const xs = Array.from({ length: t }, (_, i) => i + 2);
  const seeds = Array.from({ length: n }, () => random.fill(new Uint8Array(32)));
  const shares = seeds.map((seed) => shareSecret(seed, xs, t, random));
  const commitments = seeds.map((seed, i) => seedCommitment(seed, session.sessionId, i + 1));
  const inputs = Array.from({ length: n }, () => Uint32Array.from({ length: m + 1 }, () => random.nextUint32()));
  const start = now();
  const sum = new Uint32Array(m + 1);
  for (const words of inputs) for (let i = 0; i < sum.length; i++) sum[i] += words[i];
  for (let i = 0; i < n; i++) {
    const seed = reconstructSecret(shares[i], t);
    const check = seedCommitment(seed, session.sessionId, i + 1);
    if (!check.every((b, j) => b === commitments[i][j])) throw new Error(`seed ${i} rebuilt wrong`);
    applyMask(sum, selfMaskKey(seed, session.sessionId, i + 1), -1);
  }
  return now() - start;
}

console.log('secure aggregation (SecAgg+), one round, one process, no transport;');
console.log('times are wall ms of single-threaded work on a shared 2-core machine');
console.log('case                         | k   | t   | up B/dev   | up / f32 | down B/dev | device ms (median) | edge ms');
for (let c = 0; c < deviceCounts.length; c++) {
  const n = deviceCounts[c];
  const m = paramCounts[c];
  for (const rate of dropoutRates) {
    const { degree, threshold } = secAggParameters(n, { dropoutRate: rate });
    const k = Math.min(degree, n - 1);
    let { up, down } = wireBytes(n, k, m);
    const label = `${n} dev × ${m / 1000}k, δ ${rate}${dropFraction > 0 ? `, ${Math.round(dropFraction * n)} drop` : ''}`.padEnd(28);
    const agreements = n * 2 * k + Math.round(dropFraction * n) * k;
    const codec = new FixedPointCodec({ clipRange: 1, maxParties: n });
    const layout = new MaskedVectorLayout([{ name: 'w', shape: [m], rowWeighted: false }], 1, codec);
    const session = { sessionId: sessionIdOf(`bench/${n}/${m}/${rate}`), degree, threshold, layout };
    let times: string;
    if (agreements > maxAgreements) {
      const deviceMs = await oneDevice(k, m, { ...session, degree: k });
      times = `${deviceMs.toFixed(0).padStart(17)}* | ${edgeWithoutDropouts(n, m, threshold, session).toFixed(0)}*`;
    } else {
      const timing = await runRound(n, m, session, dropFraction);
      ({ up, down } = timing);
      times = `${median(timing.device).toFixed(0).padStart(18)} | ${timing.edge.toFixed(0)}`;
    }
    const ratio = up / (4 * m);
    const cells = [
      label,
      String(k).padEnd(3),
      String(threshold).padEnd(3),
      String(up).padEnd(10),
      ratio.toFixed(3).padEnd(8),
      String(down).padEnd(10),
    ];
    console.log(`${cells.join(' | ')} | ${times}`);
  }
}
console.log('up / f32: bytes a device sends in all four rounds over a plaintext float32 upload of the same parameters (4 B each).');
console.log('*: measured in parts (see the file header): one real device among k neighbours; the edge without dropouts.');
