// One edge round over real sockets on loopback, plaintext against secure aggregation: an EdgeNode in this
// process and n DeviceClients (socket.io) spread over --processes child processes, each device answering
// with the same dense update of m float32 parameters. Prints the round's wall time; the CPU time of the edge
// (this process) and of the devices (the children's, summed, over n) during the round; the longest
// event-loop stall in the edge and in any device process (a stall over socket.io's ping timeout drops a
// link); and the device-edge bytes per device from the edge's own counters. On a machine with fewer cores
// than processes the round's wall time adds the devices' work up; the CPU columns are the per-tier figures.
// Usage:
//   node bench/dist/src/secagg-loopback-bench.js [--devices 100] [--params 100000] [--dropout-rate 0.333]
//     [--processes 8] [--modes plain,secagg]

import { fork, type ChildProcess } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
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

const logger = createLogger('bench', (process.env.STRATA_BENCH_LOG as 'error' | undefined) ?? 'error');
const TOKEN = 'secagg-loopback-bench';
const REGION = 'bench';
const compression = { dtype: 'float32', errorFeedback: false, perRowScale: true, entropy: 'none' } as const;

function updateOf(m: number): ModelUpdate {
  const random = CryptoRandom.fromSeed(new Uint8Array(32).fill(3));
  const values = Float32Array.from({ length: m }, () => 0.01 * random.normal());
  return { delta: new Map([['w', { kind: 'dense', shape: [m], values }]]), weight: 1, metrics: { loss: 0.5 } };
}

interface DeviceProcessTask {
  readonly address: string;
  readonly first: number;
  readonly count: number;
  readonly params: number;
}

/** What a device process measured between 'measure' and 'report': its CPU seconds and longest event-loop stall. */
interface DeviceProcessReport {
  readonly cpuSeconds: number;
  readonly maxStallMs: number;
}

type ParentMessage = { kind: 'measure' } | { kind: 'report' } | { kind: 'stop' };

/** The longest event-loop stall seen since the monitor was (re)started, in ms. */
function stallMonitor(): { restart(): void; maxMs(): number } {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  return { restart: () => histogram.reset(), maxMs: () => histogram.max / 1e6 };
}

/** A device process: connects its devices, says so, measures a round when told, and closes them when told. */
async function runDevices(task: DeviceProcessTask): Promise<void> {
  const update = updateOf(task.params);
  const transport = new SocketIoTransportClient({ token: TOKEN });
  const connections: ClientConnection[] = [];
  for (let i = task.first; i < task.first + task.count; i++) {
    const nodeId = `device-${String(i).padStart(4, '0')}`;
    const device = new DeviceClient({ nodeId, region: REGION, trainer: { numSamples: 1, train: async () => update }, compression, logger });
    connections.push(await transport.connect(task.address, { nodeId, role: 'device', region: REGION }, (frame) => device.handle(frame)));
  }
  const stalls = stallMonitor();
  let cpu = process.cpuUsage();
  process.on('message', async (message: ParentMessage) => {
    if (message.kind === 'measure') {
      stalls.restart();
      cpu = process.cpuUsage();
    } else if (message.kind === 'report') {
      const used = process.cpuUsage(cpu);
      const report: DeviceProcessReport = { cpuSeconds: (used.user + used.system) / 1e6, maxStallMs: stalls.maxMs() };
      process.send!(report);
    } else {
      for (const c of connections) await c.close();
      process.disconnect();
    }
  });
  process.send!('ready');
}

const nextMessage = <T>(child: ChildProcess): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    child.once('message', (message) => resolve(message as T));
    child.once('error', reject);
  });

async function startDeviceProcesses(address: string, n: number, m: number, processes: number): Promise<ChildProcess[]> {
  const per = Math.ceil(n / processes);
  const children: ChildProcess[] = [];
  for (let first = 0; first < n; first += per) {
    const task: DeviceProcessTask = { address, first, count: Math.min(per, n - first), params: m };
    const child = fork(new URL(import.meta.url), ['--device-process', JSON.stringify(task)]);
    children.push(child);
    await nextMessage(child);
  }
  return children;
}

async function reportAll(children: readonly ChildProcess[]): Promise<DeviceProcessReport[]> {
  return Promise.all(
    children.map((child) => {
      const report = nextMessage<DeviceProcessReport>(child);
      child.send({ kind: 'report' } satisfies ParentMessage);
      return report;
    }),
  );
}

async function stopDeviceProcesses(children: readonly ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map((child) => {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.send({ kind: 'stop' } satisfies ParentMessage);
      return exited;
    }),
  );
}

interface RoundFigures {
  readonly seconds: number;
  readonly edgeCpuSeconds: number;
  readonly deviceCpuSeconds: number;
  readonly edgeStallMs: number;
  readonly deviceStallMs: number;
  readonly result: EdgeRoundResult;
}

async function round(secure: boolean, n: number, m: number, dropoutRate: number, processes: number): Promise<RoundFigures> {
  // Every device connects from 127.0.0.1: lift the per-address cap (256) to the fleet.
  const server = await SocketIoTransportServer.listen({ token: TOKEN, maxHttpBufferSize: 64 * 2 ** 20, maxConnectionsPerAddress: n + 16 });
  const queue = new InMemoryJobQueue();
  const blobs = new InMemoryBlobStore();
  const edge = new EdgeNode({ region: REGION, nodeId: 'edge-bench', server, queue, blobs, strategy: new FedAvg(), compression, logger });
  const model: ModelParams = new Map([['w', { kind: 'dense', shape: [m], values: new Float32Array(m) }]]);
  const devices = await startDeviceProcesses(server.address, n, m, processes);
  const stalls = stallMonitor();
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
    for (const child of devices) child.send({ kind: 'measure' } satisfies ParentMessage);
    stalls.restart();
    const started = performance.now();
    const cpu = process.cpuUsage();
    const parent = await queue.addFlow({ queue: 'cloud', name: 'cloud-round', data: {}, id: 'flow' }, [
      { queue: regionQueue(REGION), name: 'edge-round', data: { ...job }, id: 'job' },
    ]);
    const [outcome] = await queue.waitForFlow(parent, Date.now() + 3600_000);
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    const edgeStallMs = stalls.maxMs();
    const reports = await reportAll(devices);
    if (outcome.state !== 'completed') throw new Error(`the round failed: ${outcome.error}`);
    return {
      seconds,
      edgeCpuSeconds: (used.user + used.system) / 1e6,
      deviceCpuSeconds: reports.reduce((sum, r) => sum + r.cpuSeconds, 0),
      edgeStallMs,
      deviceStallMs: Math.max(...reports.map((r) => r.maxStallMs)),
      result: outcome.result as EdgeRoundResult,
    };
  } finally {
    await edge.stop();
    await stopDeviceProcesses(devices);
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
      processes: { type: 'string', default: '8' },
      modes: { type: 'string', default: 'plain,secagg' },
    },
  });
  const n = Number(args.devices);
  const m = Number(args.params);
  const dropoutRate = Number(args['dropout-rate']);
  const processes = Number(args.processes);
  const modes = args.modes.split(',');
  console.log(`one edge round on loopback (socket.io), ${n} devices × ${m} float32 parameters in ${processes} device processes`);
  console.log(
    'mode    | round s (wall) | edge CPU s | device CPU s / device | max stall ms edge / device | up B/device | down B/device | up / plaintext up',
  );
  let plainUp = 4 * m;
  for (const mode of modes) {
    const figures = await round(mode === 'secagg', n, m, dropoutRate, processes);
    const p = figures.result.participation;
    const up = p.bytesUp / n;
    if (mode === 'plain') plainUp = up;
    const cells = [
      mode.padEnd(7),
      figures.seconds.toFixed(2).padStart(14),
      figures.edgeCpuSeconds.toFixed(2).padStart(10),
      (figures.deviceCpuSeconds / n).toFixed(3).padStart(21),
      `${figures.edgeStallMs.toFixed(0)} / ${figures.deviceStallMs.toFixed(0)}`.padStart(26),
      up.toFixed(0).padStart(11),
      (p.bytesDown / n).toFixed(0).padStart(13),
      (up / plainUp).toFixed(3),
    ];
    console.log(cells.join(' | '));
    if (mode === 'secagg')
      console.log(`secagg: ${p.answered} of ${n} devices in the sum, ${p.secAggAborted ?? 0} aborted, ${p.dropped} dropped`);
  }
  console.log(
    'up / plaintext up: bytes a device sends over what it sends in the plain round (over 4 B a parameter when plain is not run).',
  );
}

const deviceProcess = process.argv.indexOf('--device-process');
if (deviceProcess >= 0) await runDevices(JSON.parse(process.argv[deviceProcess + 1]) as DeviceProcessTask);
else await main();
