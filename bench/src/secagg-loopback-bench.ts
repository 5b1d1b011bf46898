// One edge round over real sockets on loopback, plaintext against secure aggregation: an EdgeNode in this
// thread and n DeviceClients (socket.io) in --workers worker threads, each device answering with the same
// dense update of m float32 parameters. Prints the round's wall time, the CPU time of the whole process
// (edge and devices) over the round, and the device-edge bytes per device from the edge's own counters.
// Devices run in workers so that one busy with its keys does not starve the others' links of their pings;
// on a machine with fewer cores than workers the round's wall time still adds the devices' work up, so the
// CPU column over n is the better per-device figure. Usage:
//   node bench/dist/src/secagg-loopback-bench.js [--devices 100] [--params 100000] [--dropout-rate 0.333] [--workers 10]

import { parseArgs } from 'node:util';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
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

const logger = createLogger('bench', (process.env.STRATA_BENCH_LOG as 'error' | undefined) ?? 'error');
const TOKEN = 'secagg-loopback-bench';
const REGION = 'bench';
const compression = { dtype: 'float32', errorFeedback: false, perRowScale: true } as const;

function updateOf(m: number): ModelUpdate {
  const random = CryptoRandom.fromSeed(new Uint8Array(32).fill(3));
  const values = Float32Array.from({ length: m }, () => 0.01 * random.normal());
  return { delta: new Map([['w', { kind: 'dense', shape: [m], values }]]), weight: 1, metrics: { loss: 0.5 } };
}

interface WorkerTask {
  readonly address: string;
  readonly first: number;
  readonly count: number;
  readonly params: number;
}

/** A worker: connects its devices, says so, and closes them when told. */
async function runDevices(task: WorkerTask): Promise<void> {
  const update = updateOf(task.params);
  const transport = new SocketIoTransportClient({ token: TOKEN });
  const connections: ClientConnection[] = [];
  for (let i = task.first; i < task.first + task.count; i++) {
    const nodeId = `device-${String(i).padStart(4, '0')}`;
    const device = new DeviceClient({ nodeId, region: REGION, trainer: { numSamples: 1, train: async () => update }, compression, logger });
    connections.push(await transport.connect(task.address, { nodeId, role: 'device', region: REGION }, (frame) => device.handle(frame)));
  }
  parentPort!.postMessage('ready');
  parentPort!.once('message', async () => {
    for (const c of connections) await c.close();
    parentPort!.postMessage('closed');
  });
}

async function startWorkers(address: string, n: number, m: number, workers: number): Promise<Worker[]> {
  const per = Math.ceil(n / workers);
  const started: Worker[] = [];
  for (let first = 0; first < n; first += per) {
    const task: WorkerTask = { address, first, count: Math.min(per, n - first), params: m };
    const worker = new Worker(new URL(import.meta.url), { workerData: task });
    await new Promise<void>((resolve, reject) => {
      worker.once('message', () => resolve());
      worker.once('error', reject);
    });
    started.push(worker);
  }
  return started;
}

async function stopWorkers(workers: readonly Worker[]): Promise<void> {
  for (const worker of workers) {
    await new Promise<void>((resolve) => {
      worker.once('message', () => resolve());
      worker.postMessage('stop');
    });
    await worker.terminate();
  }
}

async function round(
  secure: boolean,
  n: number,
  m: number,
  dropoutRate: number,
  workers: number,
): Promise<{ seconds: number; cpuSeconds: number; result: EdgeRoundResult }> {
  const server = await SocketIoTransportServer.listen({ token: TOKEN, maxHttpBufferSize: 64 * 2 ** 20 });
  const queue = new InMemoryJobQueue();
  const blobs = new InMemoryBlobStore();
  const edge = new EdgeNode({ region: REGION, nodeId: 'edge-bench', server, queue, blobs, strategy: new FedAvg(), compression, logger });
  const model: ModelParams = new Map([['w', { kind: 'dense', shape: [m], values: new Float32Array(m) }]]);
  const devices = await startWorkers(server.address, n, m, workers);
  try {
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
    await stopWorkers(devices);
    await server.close();
    await queue.close();
  }
}

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      devices: { type: 'string', default: '100' },
      params: { type: 'string', default: '100000' },
      'dropout-rate': { type: 'string', default: '0.333' },
      workers: { type: 'string', default: '10' },
    },
  });
  const n = Number(args.devices);
  const m = Number(args.params);
  const dropoutRate = Number(args['dropout-rate']);
  const workers = Number(args.workers);
  console.log(`one edge round on loopback (socket.io), ${n} devices × ${m} float32 parameters in ${workers} worker threads`);
  console.log('mode    | round s (wall) | CPU s (process) | up B/device | down B/device | up / plaintext up');
  const plain = await round(false, n, m, dropoutRate, workers);
  const secure = await round(true, n, m, dropoutRate, workers);
  for (const [label, { seconds, cpuSeconds, result }] of [
    ['plain', plain],
    ['secagg', secure],
  ] as const) {
    const p = result.participation;
    const up = p.bytesUp / n;
    const ratio = up / (plain.result.participation.bytesUp / n);
    const cells = [
      label.padEnd(7),
      seconds.toFixed(2).padStart(14),
      cpuSeconds.toFixed(2).padStart(15),
      up.toFixed(0).padStart(11),
      (p.bytesDown / n).toFixed(0).padStart(13),
      ratio.toFixed(3),
    ];
    console.log(cells.join(' | '));
  }
  const p = secure.result.participation;
  console.log(`secagg: ${p.answered} of ${n} devices in the sum, ${p.secAggAborted ?? 0} aborted`);
}

if (isMainThread) await main();
else await runDevices(workerData as WorkerTask);
