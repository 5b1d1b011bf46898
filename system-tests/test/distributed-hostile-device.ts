// A misbehaving device for the fault tests, run as its own process:
//   node distributed-hostile-device.js <edge url> <region> <node id> <token> <behaviour>
// Behaviours: random (replies random bytes), truncated (half of a valid update), nan (a NaN in its update),
// always-resync (asks for the whole model again, whatever it got), shape (an update of the wrong shape),
// oversized (a 9 MiB websocket message), declared-oversize (a 232 MiB reply in 4 MiB chunks), mid-upload
// (sends the first chunk of its update, then drops the connection), wrong-token (connects with a bad token);
// and with the numbers a device chooses: inflated-weight (weight 1e12), negative-weight, negative-row-weights,
// inflated-evaluation (a count of 1e9 and a NaN metric), stale (another round's id), sender (claims another
// device sent it), row-takeover (rows only it sends, moved far, against a median edge), each of
// zero-row-forgeries.ts's DEVICE_ZERO_ROW_FORGERIES (held-back rows that break one rule each), each of
// row-mask-forgeries.ts's DEVICE_ROW_MASK_FORGERIES (rows named by a bitmask, honest or breaking one rule); against the
// Gaussian task's checks at the edge: gaussian-free-slot (a row of a free slot of the scaffold),
// gaussian-row-weight (a Gaussian's change with row weight 0.5, not a device's 1), gaussian-statistic (a
// negative densification statistic), gaussian-gradient (a gradient of 1e20 under combineChanges 'serverAdam',
// which would overflow the row's second moment at the cloud); connect-once (connects with <token> as <node id>, says whether it was
// accepted or refused, and exits: impersonation, duplicate sessions, revoked credentials); held-open (connects and stays, logging
// "dropped" when the edge ends its session: a credential revoked while connected); decompression bombs, a Compressed
// envelope of a few hundred bytes that brotli expands to BOMB_BYTES: bomb-declared (it says so in raw_bytes) and
// bomb-lying (it declares the size of an honest update, so only the decoder's bound stops it). It logs JSON lines on stderr
// ({"msg": "connected"}, {"msg": "refused"}, ...) like the daemons, so tests can wait for them.

import { randomUUID } from 'node:crypto';
import { brotliCompressSync, constants } from 'node:zlib';
import { io } from 'socket.io-client';
import {
  DeviceModelCache,
  UpdateEncoder,
  decodeRoundRequest,
  dense,
  encodeEnvelope,
  encodeResync,
  rowSize,
  splitFrame,
  strata,
  type ModelParams,
  type ModelUpdate,
  type SparseRows,
} from '@strata/shared';
import { AuthenticationError, registerNodeEntropyCodecs, SocketIoTransportClient } from '@strata/runtime';
import { seededBytes } from '@strata/runtime/testing';
import { DEVICE_ROW_MASK_FORGERIES } from './row-mask-forgeries.js';
import { DEVICE_ZERO_ROW_FORGERIES, forgeZeroRows } from './zero-row-forgeries.js';

const [url, region, nodeId, token, behaviour] = process.argv.slice(2);
// It reads the edge's brotli frames as a device daemon does (its own replies choose their entropy stage).
registerNodeEntropyCodecs();
const log = (msg: string, extra: Record<string, unknown> = {}): void =>
  void process.stderr.write(`${JSON.stringify({ msg, behaviour, ...extra })}\n`);
const encoder = new UpdateEncoder({ dtype: 'float32', perRowScale: true, errorFeedback: false, entropy: 'none' });
const cache = new DeviceModelCache();
const TAKEOVER_ROWS = 64;
/** What a bomb expands to: far past the edge's bound for a few-KB model (3 × the model + 64 KiB). */
const BOMB_BYTES = 128 * 1024 * 1024;

/** A Compressed envelope whose brotli stream expands to BOMB_BYTES of zeros, declaring `declaredBytes`. */
function decompressionBomb(declaredBytes: number): Uint8Array {
  const data = brotliCompressSync(new Uint8Array(BOMB_BYTES), { params: { [constants.BROTLI_PARAM_QUALITY]: 1 } });
  log('bomb built', { compressedBytes: data.byteLength, expandsTo: BOMB_BYTES, declaredBytes });
  return encodeEnvelope({ compressed: { codec: strata.Compressed.Codec.BROTLI_BYTE_PLANES, rawBytes: declaredBytes, data } });
}
/** The Gaussian model's tensor names, for the gaussian-* behaviours only (the tasks take seconds to load). */
const gaussian = behaviour.startsWith('gaussian-') ? await import('@strata/tasks') : undefined;

/** The request's model (kept as an honest device keeps it, so the edge may send patches), or a Resync. */
function modelOf(frame: Uint8Array): { roundId: string; version: number; model: ModelParams } | Uint8Array {
  const request = decodeRoundRequest(frame);
  const resolved = cache.resolve(request);
  if ('resync' in resolved) return encodeResync(request.roundId, resolved.resync, nodeId);
  return { roundId: request.roundId, version: request.version, model: resolved.model };
}

interface Forgery {
  readonly weight?: number;
  readonly roundId?: string;
  readonly sender?: string;
}

/** A full-size update of the model in `frame` with `poison` applied to its values and a forged header. */
function updateFor(frame: Uint8Array, poison: (values: Float32Array) => void = () => {}, forged: Forgery = {}): Uint8Array {
  const request = modelOf(frame);
  if (request instanceof Uint8Array) return request;
  const delta = new Map(
    [...request.model].map(([name, tensor]) => {
      const values = new Float32Array(tensor.values.length).fill(0.001);
      poison(values);
      return [name, dense(tensor.shape, values)];
    }),
  );
  const update: ModelUpdate = { delta, weight: forged.weight ?? 1, metrics: { loss: 1 } };
  return encoder.encode(update, {
    roundId: forged.roundId ?? request.roundId,
    baseVersion: request.version,
    sender: forged.sender ?? nodeId,
  });
}

const zeroRowReplies = Object.fromEntries(
  Object.entries({ ...DEVICE_ZERO_ROW_FORGERIES, ...DEVICE_ROW_MASK_FORGERIES }).map(([name, forgery]) => [
    name,
    (frame: Uint8Array): Uint8Array => {
      const request = modelOf(frame);
      if (request instanceof Uint8Array) return request;
      return forgeZeroRows(forgery, request.model, { roundId: request.roundId, baseVersion: request.version, sender: nodeId });
    },
  ]),
);
/**
 * One sparse row of the Gaussian model's `tensor`, the row `pick` chooses from the scaffold (the generation of
 * each row, 0 for a free slot), with `value` in every entry and `rowWeight`: each breaks one of the task's checks.
 */
function gaussianRow(
  frame: Uint8Array,
  tensor: string,
  pick: (scaffold: Float32Array) => number,
  value: number,
  rowWeight: number,
): Uint8Array {
  const request = modelOf(frame);
  if (request instanceof Uint8Array) return request;
  const shape = request.model.get(tensor)!.shape;
  const row = pick(request.model.get(gaussian!.GAUSSIAN_SCAFFOLD_TENSOR)!.values);
  const rows: SparseRows = {
    kind: 'sparse',
    shape,
    rows: Uint32Array.of(row),
    values: new Float32Array(rowSize(shape)).fill(value),
    rowWeights: Float32Array.of(rowWeight),
  };
  const update: ModelUpdate = { delta: new Map([[tensor, rows]]), weight: 1, metrics: {} };
  return encoder.encode(update, { roundId: request.roundId, baseVersion: request.version, sender: nodeId });
}

const firstFree = (scaffold: Float32Array): number => scaffold.indexOf(0);
const firstGaussian = (scaffold: Float32Array): number => scaffold.findIndex((generation) => generation > 0);

const replies: Record<string, (frame: Uint8Array) => Uint8Array> = {
  ...zeroRowReplies,
  random: () => seededBytes(7, 4096),
  truncated: (frame) => {
    const reply = updateFor(frame);
    return reply.subarray(0, reply.byteLength >> 1);
  },
  nan: (frame) => updateFor(frame, (values) => (values[0] = Number.NaN)),
  // Asks for the whole model whatever it was sent (a Resync to a whole model is no answer at all).
  'always-resync': (frame) => encodeResync(decodeRoundRequest(frame).roundId, 'missing', nodeId),
  'inflated-weight': (frame) => updateFor(frame, undefined, { weight: 1e12 }),
  'negative-weight': (frame) => updateFor(frame, undefined, { weight: -5 }),
  stale: (frame) => updateFor(frame, undefined, { roundId: 'r0-v0' }),
  sender: (frame) => updateFor(frame, undefined, { sender: 'device-1' }),
  // Rows 0 and 1 of every tensor, the first with the row weight -1 (amplifying rather than weighting).
  'negative-row-weights': (frame) => {
    const request = modelOf(frame);
    if (request instanceof Uint8Array) return request;
    const delta = new Map(
      [...request.model].map(([name, tensor]) => {
        const rows: SparseRows = {
          kind: 'sparse',
          shape: tensor.shape,
          rows: Uint32Array.of(0, 1),
          values: new Float32Array(2 * rowSize(tensor.shape)).fill(0.001),
          rowWeights: Float32Array.of(-1, 1),
        };
        return [name, rows];
      }),
    );
    return encoder.encode({ delta, weight: 1, metrics: {} }, { roundId: request.roundId, baseVersion: request.version, sender: nodeId });
  },
  // Trains like the others, but claims a billion evaluated users and a NaN metric.
  'inflated-evaluation': (frame) => {
    const request = decodeRoundRequest(frame);
    if (request.kind !== 'evaluate') return updateFor(frame);
    const header = { roundId: request.roundId, baseVersion: request.version, sender: nodeId };
    return encoder.encodeUncompressed({ delta: new Map(), weight: 1e9, metrics: { 'recall@20': Number.NaN } }, header);
  },
  // Model replacement against a median edge: the last 64 rows of every tensor (rows few honest devices touch)
  // moved by +5, weight 1e12; it logs how large those rows are in each model it is sent, so a test sees
  // whether the takeover ever landed.
  'row-takeover': (frame) => {
    const request = modelOf(frame);
    if (request instanceof Uint8Array) return request;
    const delta = new Map<string, SparseRows>();
    let maxAbs = 0;
    for (const [name, tensor] of request.model) {
      const width = rowSize(tensor.shape);
      const first = Math.max(0, tensor.shape[0] - TAKEOVER_ROWS);
      for (let i = first * width; i < tensor.values.length; i++) maxAbs = Math.max(maxAbs, Math.abs(tensor.values[i]));
      const rows = Uint32Array.from({ length: tensor.shape[0] - first }, (_, r) => first + r);
      delta.set(name, { kind: 'sparse', shape: tensor.shape, rows, values: new Float32Array(rows.length * width).fill(5) });
    }
    log('model seen', { kind: decodeRoundRequest(frame).kind, maxAbs });
    return encoder.encode({ delta, weight: 1e12, metrics: {} }, { roundId: request.roundId, baseVersion: request.version, sender: nodeId });
  },
  'gaussian-free-slot': (frame) => gaussianRow(frame, gaussian!.GAUSSIAN_PARAMS_TENSOR, firstFree, 0.001, 1),
  'gaussian-row-weight': (frame) => gaussianRow(frame, gaussian!.GAUSSIAN_PARAMS_TENSOR, firstGaussian, 0.001, 0.5),
  'gaussian-statistic': (frame) => gaussianRow(frame, gaussian!.GAUSSIAN_DENSIFY_TENSOR, firstGaussian, -1, 1),
  'gaussian-gradient': (frame) => gaussianRow(frame, gaussian!.GAUSSIAN_PARAMS_TENSOR, firstGaussian, 1e20, 1),
  'bomb-declared': () => decompressionBomb(BOMB_BYTES),
  'bomb-lying': (frame) => decompressionBomb(updateFor(frame).byteLength),
  shape: (frame) => {
    const request = modelOf(frame);
    if (request instanceof Uint8Array) return request;
    const delta = new Map([...request.model.keys()].map((name) => [name, dense([2, 2], new Float32Array(4).fill(0.1))]));
    return encoder.encode({ delta, weight: 1, metrics: {} }, { roundId: request.roundId, baseVersion: request.version, sender: nodeId });
  },
};

async function main(): Promise<void> {
  if (behaviour in replies) {
    const client = new SocketIoTransportClient({ token });
    await client.connect(url, { nodeId, role: 'device', region }, async (frame) => {
      log('answering');
      return replies[behaviour](frame);
    });
    log('connected');
    return;
  }
  if (behaviour === 'connect-once') {
    try {
      const connection = await new SocketIoTransportClient({ token }).connect(url, { nodeId, role: 'device', region }, async (f) => f);
      log('accepted');
      await connection.close();
    } catch (error) {
      log('refused', { error: (error as Error).message });
    }
    process.exit(0);
  }
  if (behaviour === 'wrong-token') {
    try {
      await new SocketIoTransportClient({ token: 'not-the-token' }).connect(url, { nodeId, role: 'device', region }, async (f) => f);
      log('accepted');
      process.exit(1);
    } catch (error) {
      log(error instanceof AuthenticationError ? 'refused' : 'failed', { error: (error as Error).message });
      process.exit(0);
    }
  }
  // The raw protocol, for what the transport client would never send.
  const socket = io(url, {
    transports: ['websocket'],
    reconnection: false,
    auth: { nodeId, role: 'device', region, sessionId: randomUUID(), token },
  });
  socket.on('connect', () => log('connected'));
  socket.on('disconnect', (reason) => log('dropped', { reason }));
  if (behaviour === 'held-open') return;
  socket.on('req', (requestId: number, body: Uint8Array | null, ack: (reply: unknown) => void) => {
    if (body === null) throw new Error('the test model travels in one message');
    log('answering');
    if (behaviour === 'oversized') {
      ack({ frame: Buffer.alloc(9 * 1024 * 1024) });
      return;
    }
    if (behaviour === 'declared-oversize') {
      // 232 MiB in 4 MiB chunks for a model of a few KB: the edge must refuse it before buffering it.
      for (const chunk of splitFrame(new Uint8Array(232 * 1024 * 1024), {
        maxFrameBytes: 4 * 1024 * 1024,
        transferId: requestId,
        sender: nodeId,
      })) {
        socket.emit('part', requestId, Buffer.from(chunk));
      }
      ack({ chunked: true });
      return;
    }
    // mid-upload: the first of the update's chunks, then the device is gone.
    const chunks = splitFrame(updateFor(new Uint8Array(body)), { maxFrameBytes: 64 * 1024, transferId: requestId, sender: nodeId });
    socket.emit('part', requestId, Buffer.from(chunks[0]));
    setTimeout(() => {
      log('disconnecting');
      socket.disconnect();
      process.exit(0);
    }, 20);
  });
}

main().catch((error: unknown) => {
  log('crashed', { error: (error as Error).message });
  process.exit(1);
});
