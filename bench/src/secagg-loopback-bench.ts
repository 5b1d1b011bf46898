// One edge round over real sockets on loopback, plaintext against secure aggregation: an EdgeNode and n
// DeviceClients (socket.io) in this process, each device answering with the same dense update of m float32
// parameters. Prints the round's wall time and the device-edge bytes per device from the edge's own
// counters, and the CPU time of the whole process (devices and edge) over the round. All devices share this
// process's one thread, so the secure round's time adds up every device's
// key agreement and masking one after another; deployed devices do theirs in parallel. Usage:
//   node bench/dist/src/secagg-loopback-bench.js [--devices 100] [--params 100000] [--dropout-rate 0.333]

import { parseArgs } from 'node:util';
import {
  CryptoRandom,
  FedAvg,
  encodeModelBlob,
  modelBlobKey,
  regionQueue,
  type ClientConnection,
  type EdgeRoundJob,
  type EdgeRoundResult,
  type ModelParams,
  type ModelUpdate,
} from '@strata/shared';
import { InMemoryBlobStore, InMemoryJobQueue, SocketIoTransportClient, SocketIoTransportServer, createLogger } from '@strata/runtime';
import { DeviceClient } from '@strata/device-client';
import { EdgeNode } from '@strata/edge-node';

const { values: args } = parseArgs({
  options: {
    devices: { type: 'string', default: '100' },
    params: { type: 'string', default: '100000' },
    'dropout-rate': { type: 'string', default: '0.333' },
  },
});
const n = Number(args.devices);
const m = Number(args.params);
const dropoutRate = Number(args['dropout-rate']);
const logger = createLogger('bench', 'error');
const TOKEN = 'secagg-loopback-bench';
const REGION = 'bench';
const compression = { dtype: 'float32', errorFeedback: false, perRowScale: true } as const;

const random = CryptoRandom.fromSeed(new Uint8Array(32).fill(3));
const values = Float32Array.from({ length: m }, () => 0.01 * random.normal());
const update: ModelUpdate = { delta: new Map([['w', { kind: 'dense', shape: [m], values }]]), weight: 1, metrics: { loss: 0.5 } };
const model: ModelParams = new Map([['w', { kind: 'dense', shape: [m], values: new Float32Array(m) }]]);

async function round(secure: boolean): Promise<{ seconds: number; cpuSeconds: number; result: EdgeRoundResult }> {
  const server = await SocketIoTransportServer.listen({ token: TOKEN, maxHttpBufferSize: 64 * 2 ** 20 });
  const queue = new InMemoryJobQueue();
  const blobs = new InMemoryBlobStore();
  const edge = new EdgeNode({ region: REGION, nodeId: 'edge-bench', server, queue, blobs, strategy: new FedAvg(), compression, logger });
  const transport = new SocketIoTransportClient({ token: TOKEN });
  const connections: ClientConnection[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const nodeId = `device-${String(i).padStart(4, '0')}`;
      const device = new DeviceClient({
        nodeId,
        region: REGION,
        trainer: { numSamples: 1, train: async () => update },
        compression,
        logger,
      });
      connections.push(
        await transport.connect(server.address, { nodeId, role: 'device', region: REGION }, (frame) => device.handle(frame)),
      );
    }
    edge.start();
    await blobs.put(modelBlobKey(1), encodeModelBlob(model, 1));
    const job: EdgeRoundJob = {
      roundId: `round-${secure ? 'secure' : 'plain'}`,
      round: 1,
      version: 1,
      modelKey: modelBlobKey(1),
      schedule: { kappa1: 1, kappa2: 1, fraction: 1, quorum: 1, edgeDeadlineSeconds: 3600 },
      options: {},
      seed: 1,
      limits: { maxDeviceWeight: 1, maxRowWeight: { base: 1, perWeight: 0 }, maxEvaluationCount: 1, metricRanges: {} },
      clipFactor: 0,
      ...(secure ? { secureAggregation: { clipRange: 1, dropoutRate, metricBound: 100, stepSeconds: 3600 } } : {}),
    };
    const started = performance.now();
    const cpu = process.cpuUsage();
    const parent = await queue.addFlow({ queue: 'cloud', name: 'cloud-round', data: {}, id: 'flow' }, [
      { queue: regionQueue(REGION), name: 'edge-round', data: { ...job }, id: 'job' },
    ]);
    const [outcome] = await queue.waitForFlow(parent, Date.now() + 3600_000);
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    if (outcome.state !== 'completed') throw new Error(`the round failed: ${outcome.error}`);
    return { seconds, cpuSeconds: (used.user + used.system) / 1e6, result: outcome.result as EdgeRoundResult };
  } finally {
    await edge.stop();
    for (const c of connections) await c.close();
    await server.close();
    await queue.close();
  }
}

console.log(`one edge round on loopback (socket.io), ${n} devices × ${m} float32 parameters, one process on a shared machine`);
console.log('mode    | round s (wall) | CPU s (all devices + edge) | up B/device | down B/device | up / plaintext up');
const plain = await round(false);
const secure = await round(true);
for (const [label, { seconds, cpuSeconds, result }] of [
  ['plain', plain],
  ['secagg', secure],
] as const) {
  const p = result.participation;
  const up = p.bytesUp / n;
  const ratio = up / (plain.result.participation.bytesUp / n);
  console.log(
    `${label.padEnd(7)} | ${seconds.toFixed(2).padStart(14)} | ${cpuSeconds.toFixed(2).padStart(26)} | ${up.toFixed(0).padStart(11)} | ${(p.bytesDown / n).toFixed(0).padStart(13)} | ${ratio.toFixed(3)}`,
  );
}
console.log(
  `secagg: ${secure.result.participation.answered} of ${n} devices in the sum, ${secure.result.participation.secAggAborted ?? 0} aborted`,
);
