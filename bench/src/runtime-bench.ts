// The distributed runtime's own cost: one edge (EdgeDaemon) and a coordinator (BullMQ and blobs on Redis) in
// this process, devices as separate OS processes connected over loopback socket.io, no training (bench/perturb:
// each device answers with a fixed perturbation as large as the model), float32. Prints the median seconds
// per cloud round after a warm-up round and the time raw TCP needs for the same bytes (the model down to
// every device and an update up from each, through a socket to another process), then updates per second
// at one edge with 1,000 connected devices uploading small updates, and where a round's time goes (the
// coordinator's and the edge's phases, the devices' answering time, CPU seconds per round of each side).
// Figures, not pass/fail. Needs Redis.

import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { EDGE_PHASES, createStrategy, parseSchedule, redisLayout, type Logger, type PhaseSeconds } from '@strata/shared';
import { BullMqJobQueue, InMemoryStateStore, RedisBlobStore, createLogger } from '@strata/runtime';
import { deleteRedisKeys } from '@strata/runtime/testing';
import { Coordinator } from '@strata/coordinator';
import { EdgeDaemon, parseEdgeDaemonConfig } from '@strata/edge-node';
import { perturbTask } from './perturb-task.js';
import type { DeviceProcessStats } from './runtime-bench-devices.js';

const USAGE = `Usage: node bench/dist/src/runtime-bench.js [--rounds 5] [--only a,b,c,many] [--redis-url redis://...]
  --rounds N     measured rounds per scenario after the warm-up round (scenario c: at most 3); default 5
  --only LIST    scenarios to run: a (1M params, 10 devices), b (100k, 100), c (10M, 4), many (1,000 devices)
  --redis-url    Redis for the queues and blobs (default $STRATA_REDIS_URL or redis://127.0.0.1:6379)
Per scenario: the median s/round, raw TCP for the same bytes, then the median phase breakdown of a round:
  coordinator: flow (adding the flow and waiting for the edge; queue = flow minus the edge's job),
    fetch/validate/aggregate/publish/commit (the global aggregation);
  edge: fetch (model blob from Redis), decode, encode (RoundRequest), exchange (send it to every device,
    the devices' work, the replies back), validate (decode + check the replies), aggregate, upload (update
    blob to Redis);
  devices: mean seconds to answer one request (decode, train, encode) and CPU seconds per round of all
    device processes together (averaged over every round, the warm-up included), beside the median CPU
    seconds per measured round of this process (edge and coordinator).
The machine's other load shows in every figure: compare runs taken under the same load.`;
const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    only: { type: 'string', default: 'a,b,c,many' },
    'redis-url': { type: 'string', default: process.env.STRATA_REDIS_URL ?? 'redis://127.0.0.1:6379' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const here = dirname(fileURLToPath(import.meta.url));
const TOKEN = 'bench-device-token';
const logger: Logger = createLogger('runtime-bench', process.env.STRATA_LOG_LEVEL ?? 'warn');
const redisUrl = args['redis-url'];

interface Scenario {
  readonly name: string;
  readonly params: number;
  readonly devices: number;
  /** Devices per OS process. */
  readonly perProcess: number;
  readonly kappa2: number;
  readonly rounds: number;
  /** Flower 1.6's figure on this machine, seconds per round (the issue's), if any. */
  readonly flower?: number;
  readonly target?: number;
}

const rounds = Number(args.rounds);
const scenarios: Scenario[] = [
  { name: 'a', params: 1_000_000, devices: 10, perProcess: 1, kappa2: 1, rounds, flower: 0.77, target: 0.4 },
  { name: 'b', params: 100_000, devices: 100, perProcess: 10, kappa2: 1, rounds, flower: 2.54, target: 0.85 },
  { name: 'c', params: 10_000_000, devices: 4, perProcess: 1, kappa2: 1, rounds: Math.min(rounds, 3), flower: 10.1, target: 3.3 },
  { name: 'many', params: 1_000, devices: 1000, perProcess: 250, kappa2: 5, rounds },
];

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

interface DeviceProcess {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  /** Resolves with the stats line the process writes when it stops (undefined if it wrote none). */
  readonly stopped: Promise<DeviceProcessStats | undefined>;
}

/** A device process; node's own flags (e.g. --cpu-prof) are passed on to it. */
function spawnDevices(argv: readonly string[]): DeviceProcess {
  const script = 'runtime-bench-devices.js';
  const child = spawn(process.execPath, [...process.execArgv, join(here, script), ...argv], { stdio: ['ignore', 'inherit', 'pipe'] });
  let log = '';
  const ready = new Promise<void>((resolve, reject) => {
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      log = (log + chunk).slice(-4000);
      if (log.includes('ready\n')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`${script} exited (${code}): ${log}`)));
  });
  ready.catch(() => undefined); // reported where awaited; a process that exits after starting is not an error here
  const stopped = new Promise<DeviceProcessStats | undefined>((resolve) => {
    child.once('exit', () => {
      const line = /stats (\{.*\})\n/.exec(log)?.[1];
      resolve(line === undefined ? undefined : (JSON.parse(line) as DeviceProcessStats));
    });
  });
  return { child, ready, stopped };
}

/** Seconds raw TCP takes to move `down` bytes to another process and `up` bytes back. */
async function rawTcpSeconds(down: number, up: number): Promise<number> {
  const block = Buffer.alloc(4 * 1024 * 1024, 3);
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const connected = new Promise<import('node:net').Socket>((resolve) => server.once('connection', resolve));
  const peer = spawn(process.execPath, [join(here, 'raw-tcp-peer.js'), String(port), String(down), String(up)], { stdio: 'inherit' });
  const socket = await connected;
  const started = performance.now();
  const received = new Promise<void>((resolve) => {
    let total = 0;
    socket.on('data', (chunk: Buffer) => {
      total += chunk.byteLength;
      if (total >= up) resolve();
    });
  });
  let left = down;
  await new Promise<void>((resolve) => {
    const write = (): void => {
      while (left > 0) {
        const n = Math.min(left, block.byteLength);
        left -= n;
        if (!socket.write(n === block.byteLength ? block : block.subarray(0, n))) {
          socket.once('drain', write);
          return;
        }
      }
      resolve();
    };
    write();
  });
  await received;
  const seconds = (performance.now() - started) / 1000;
  socket.destroy();
  peer.kill();
  server.close();
  return seconds;
}

interface ScenarioResult {
  readonly roundSeconds: number[];
  readonly modelBytes: number;
  readonly updateBytes: number;
  /** The measured rounds' phase timings (RoundOutcome.timings). */
  readonly timings: PhaseSeconds[];
  /** CPU seconds of this process (edge and coordinator) in each measured round. */
  readonly cpuSeconds: number[];
  /** Every device process's stats (warm-up round included). */
  readonly devices: DeviceProcessStats[];
}

async function runScenario(s: Scenario): Promise<ScenarioResult> {
  const prefix = `strata-bench-${process.pid}-${s.name}`;
  const task = perturbTask(s.params, s.devices);
  const edge = await EdgeDaemon.start(
    parseEdgeDaemonConfig({
      region: 'bench',
      token: TOKEN,
      listen: { port: 0 },
      http: { port: 0 },
      redis: { url: redisUrl, prefix },
      minDevices: s.devices,
      link: { maxPendingRequests: 64 },
    }),
    logger,
  );
  const layout = redisLayout({ url: redisUrl, prefix });
  const queue = new BullMqJobQueue({ url: redisUrl, prefix: layout.queuePrefix });
  const blobs = new RedisBlobStore({ url: redisUrl, prefix: layout.blobPrefix });
  const children: DeviceProcess[] = [];
  const devices: DeviceProcessStats[] = [];
  try {
    for (let first = 0; first < s.devices; first += s.perProcess) {
      children.push(
        spawnDevices([edge.deviceUrl, TOKEN, String(s.params), String(first), String(Math.min(s.perProcess, s.devices - first))]),
      );
    }
    await Promise.all(children.map((c) => c.ready));
    const coordinator = new Coordinator({
      task,
      strategy: createStrategy('fedavg', {}),
      queue,
      blobs,
      regions: ['bench'],
      schedule: parseSchedule({ rounds: s.rounds + 1, kappa2: s.kappa2, edgeDeadlineSeconds: 600, roundDeadlineSeconds: 900 }),
      taskOptions: {},
      seed: 0,
      logger,
      state: new InMemoryStateStore(),
    });
    await coordinator.start();
    const roundSeconds: number[] = [];
    const timings: PhaseSeconds[] = [];
    const cpuSeconds: number[] = [];
    let modelBytes = 0;
    let updateBytes = 0;
    for (let round = 0; round <= s.rounds; round++) {
      const started = performance.now();
      const cpu = process.cpuUsage();
      const outcome = await coordinator.runRound(round + 1);
      if (outcome.participation.answered !== s.devices * s.kappa2)
        throw new Error(`round ${round + 1}: ${JSON.stringify(outcome.participation)}`);
      if (round > 0) {
        // round 0 is the warm-up
        roundSeconds.push((performance.now() - started) / 1000);
        const used = process.cpuUsage(cpu);
        cpuSeconds.push((used.user + used.system) / 1e6);
        timings.push(outcome.timings);
      }
      modelBytes = outcome.bytes.deviceEdgeDown / (s.devices * s.kappa2);
      updateBytes = outcome.bytes.deviceEdgeUp / (s.devices * s.kappa2);
    }
    for (const { child } of children) child.kill('SIGTERM');
    for (const { stopped } of children) {
      const stats = await stopped;
      if (stats) devices.push(stats);
    }
    return { roundSeconds, modelBytes, updateBytes, timings, cpuSeconds, devices };
  } finally {
    for (const { child } of children) if (child.exitCode === null) child.kill('SIGTERM');
    await edge.stop();
    await queue.close();
    await blobs.close();
    await deleteRedisKeys(`${prefix}:`, redisUrl);
  }
}

/** The breakdown lines of a scenario: median seconds per phase over the measured rounds. */
function breakdown(s: Scenario, result: ScenarioResult): string {
  const phase = (name: string): number => median(result.timings.map((t) => t[name] ?? 0));
  // Per round, then the median: a sum of medians is not the median of the sums.
  const edgeJobs = result.timings.map((t) => EDGE_PHASES.reduce((sum, p) => sum + (t[`edge.${p}`] ?? 0), 0));
  const edgeJob = median(edgeJobs);
  const queue = median(result.timings.map((t, i) => (t.flow ?? 0) - edgeJobs[i]));
  const fmt = (x: number): string => x.toFixed(3);
  const coordinator = ['fetch', 'validate', 'aggregate', 'publish', 'commit'].map((p) => `${p} ${fmt(phase(p))}`).join(', ');
  const edge = EDGE_PHASES.map((p) => `${p} ${fmt(phase(`edge.${p}`))}`).join(', ');
  const answered = result.devices.reduce((sum, d) => sum + d.answered, 0);
  const answerSeconds = result.devices.reduce((sum, d) => sum + d.answerSeconds, 0);
  const deviceCpu = result.devices.reduce((sum, d) => sum + d.cpuSeconds, 0) / (s.rounds + 1);
  return `${[
    `          coordinator: flow ${fmt(phase('flow'))} (edge job ${fmt(edgeJob)}, queue ${fmt(queue)}), ${coordinator}`,
    `          edge:        ${edge}`,
    `          devices:     ${answered > 0 ? fmt(answerSeconds / answered) : '-'} s to answer a request (mean); ` +
      `CPU s/round: devices ${fmt(deviceCpu)}, edge + coordinator ${fmt(median(result.cpuSeconds))}`,
  ].join('\n')}\n`;
}

const only = new Set(args.only.split(','));
process.stdout.write(
  `runtime bench: loopback, float32, ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), node ${process.version}, ` +
    `load average ${loadavg()[0].toFixed(2)} at the start\n`,
);
process.stdout.write('scenario  params      devices  processes  s/round (median)  raw TCP s  ratio  Flower 1.6  target\n');
for (const s of scenarios.filter((x) => only.has(x.name))) {
  const result = await runScenario(s);
  const { roundSeconds, modelBytes, updateBytes } = result;
  const seconds = median(roundSeconds);
  if (s.name === 'many') {
    const perSecond = (s.devices * s.kappa2) / seconds;
    process.stdout.write(
      `many      ${String(s.params).padEnd(11)} ${String(s.devices).padEnd(8)} ${String(s.devices / s.perProcess).padEnd(10)} ` +
        `${seconds.toFixed(3).padEnd(17)} -          -      -           -   (κ2=${s.kappa2}: ${Math.round(perSecond)} updates/s at the edge)\n`,
    );
    process.stdout.write(breakdown(s, result));
    continue;
  }
  const raw = await rawTcpSeconds(modelBytes * s.devices, updateBytes * s.devices);
  process.stdout.write(
    `(${s.name})       ${String(s.params).padEnd(11)} ${String(s.devices).padEnd(8)} ${String(s.devices / s.perProcess).padEnd(10)} ` +
      `${seconds.toFixed(3).padEnd(17)} ${raw.toFixed(3).padEnd(10)} ${(seconds / raw).toFixed(1).padEnd(6)} ${String(s.flower).padEnd(11)} ${s.target}\n`,
  );
  process.stdout.write(breakdown(s, result));
}
process.exit(0);
