// Real-network mode: the topology's tiers as real daemons on loopback (redis-server, `strata edge`,
// `strata device`, `strata coordinator`), every link shaped as the topology says by a ShapingProxy between
// the tiers: a proxy per device group in front of its edge (each device connection with its own access link,
// then the shared backhauls and edge link of the route), and a proxy per edge in front of Redis (the
// edge-cloud route). The coordinator talks to Redis directly: it is the cloud. Proxies sharing a link share its
// LinkPipe, hence its bandwidth. The run record is the coordinator's, with the topology, how links were shaped
// and the bytes each proxy carried; its rounds get simSeconds = elapsed wall time, so it overlays a
// virtual-clock run of the same topology in `strata compare`.
//
// What the daemons cannot do yet, the run record says: devices are always online (no duty cycles or traces),
// a device group's compute speed becomes a fixed training delay per device (its mean samples × seconds per
// sample), partitions are dealt in contiguous blocks (as skew 1), and only the strategies' names reach the
// edges.

import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify as stringifyYaml } from 'yaml';
import {
  StrataError,
  SeededRandom,
  type FederatedTask,
  type RunRecord,
  cloudLinkBytes,
  emptyTierBytes,
  tierRecord,
  type TierBytes,
} from '@strata/shared';
import { generateSyntheticRecsysData } from '@strata/tasks';
import { deviceCount } from '../device-plan.js';
import type { LoadedTopology } from '../load-topology.js';
import { VIRTUAL_LINK_SHAPING } from '../simulation.js';
import { TopologyRoutes } from '../topology-routes.js';
import type { Topology } from '../topology-schema.js';
import { DaemonProcesses, freePort } from './daemon-processes.js';
import { ShapingProxy } from './shaping-proxy.js';

export interface RealNetworkRunOptions {
  readonly loaded: LoadedTopology;
  /** The task as the simulator builds it (for the devices' sample counts). */
  readonly task: FederatedTask;
  /** Where the daemons' logs, data and configuration go (default: a new temporary folder). */
  readonly workDir?: string;
  /** The whole run must finish within this (default one hour). */
  readonly timeoutSeconds?: number;
  readonly redisServer?: string;
  /** The `strata` command's script the daemons run as (`node <strataBin> coordinator ...`). */
  readonly strataBin: string;
  /** Progress lines. */
  readonly log?: (line: string) => void;
}

interface ShapedProxy {
  readonly name: string;
  readonly tier: 'deviceEdge' | 'deviceCloud' | 'edgeCloud';
  readonly proxy: ShapingProxy;
}

export async function runOnRealNetwork(options: RealNetworkRunOptions): Promise<RunRecord> {
  const { loaded, task } = options;
  const { topology } = loaded;
  const log = options.log ?? (() => {});
  const workDir = options.workDir ?? mkdtempSync(join(tmpdir(), 'strata-real-'));
  mkdirSync(workDir, { recursive: true });
  const processes = new DaemonProcesses(workDir);
  const proxies: ShapedProxy[] = [];
  const notes: string[] = [];
  const started = Date.now();
  const deadline = started + (options.timeoutSeconds ?? 3600) * 1000;
  const remaining = (): number => Math.max(1000, deadline - Date.now());
  const token = randomBytes(12).toString('hex');
  const prefix = `strata-real-${randomBytes(3).toString('hex')}`;
  const routes = new TopologyRoutes(topology, new SeededRandom(topology.seed).fork('simulation').fork('links'));
  try {
    const taskFile = writeTaskConfig(topology, workDir, notes);
    const redisPort = await freePort();
    const redis = processes.start('redis', options.redisServer ?? 'redis-server', [
      '--port',
      String(redisPort),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
    ]);
    await processes.waitForLog(redis, /Ready to accept connections/, 15_000);
    log(`redis-server on port ${redisPort}`);

    const cli = (name: string, args: string[]) =>
      processes.start(name, process.execPath, [options.strataBin, ...args], { STRATA_LOG_LEVEL: 'info' });
    const edgePorts = new Map<string, { devices: number; health: number }>();
    for (const edge of topology.edges) {
      const route = routes.edgeRoute(edge.region);
      const toRedis = await ShapingProxy.start({ target: { host: '127.0.0.1', port: redisPort }, route: () => route });
      proxies.push({ name: `${edge.id} → redis`, tier: 'edgeCloud', proxy: toRedis });
      const ports = { devices: await freePort(), health: await freePort() };
      edgePorts.set(edge.id, ports);
      const expected = topology.devices.filter((g) => g.edge === edge.id).reduce((n, g) => n + g.count, 0);
      const daemon = cli(`edge-${edge.id}`, [
        'edge',
        '--region',
        edge.id,
        '--node-id',
        edge.id,
        '--host',
        '127.0.0.1',
        '--port',
        String(ports.devices),
        '--token',
        token,
        '--redis-url',
        `redis://127.0.0.1:${toRedis.port}`,
        '--redis-prefix',
        prefix,
        '--http-port',
        String(ports.health),
        '--compression',
        topology.compression.dtype,
        ...(topology.compression.topKFraction !== undefined ? ['--topk-fraction', String(topology.compression.topKFraction)] : []),
        '--strategy',
        topology.edgeStrategy.name,
        '--min-devices',
        String(expected),
      ]);
      await processes.waitForLog(daemon, /edge ready/, remaining());
      log(`edge ${edge.id}: devices on ${ports.devices} (behind their proxies), Redis through a proxy on ${toRedis.port}`);
    }

    const partitions = task.numDevices;
    const total = deviceCount(topology);
    let slot = 0;
    for (const group of topology.devices) {
      const edge = topology.edges.find((e) => e.id === group.edge)!;
      const toEdge = await ShapingProxy.start({
        target: { host: '127.0.0.1', port: edgePorts.get(edge.id)!.devices },
        route: () => routes.deviceRoute(group, edge),
      });
      proxies.push({
        name: `${group.group} → ${edge.id}`,
        tier: routes.coLocated(edge.region) ? 'deviceCloud' : 'deviceEdge',
        proxy: toEdge,
      });
      const first = Math.floor((slot * partitions) / total);
      slot += group.count;
      const secondsPerSample = group.compute.secondsPerSample ?? topology.simulation.referenceSecondsPerSample / (group.compute.speed ?? 1);
      const delayMs = Math.round(secondsPerSample * meanSamples(task, first, group.count) * topology.schedule.kappa1 * 1000);
      cli(`devices-${group.group}`, [
        'device',
        '--config',
        taskFile,
        '--edges',
        `http://127.0.0.1:${toEdge.port}`,
        '--region',
        edge.id,
        '--token',
        token,
        '--device-index',
        String(first),
        '--count',
        String(group.count),
        '--compression',
        topology.compression.dtype,
        ...(topology.compression.topKFraction !== undefined ? ['--topk-fraction', String(topology.compression.topKFraction)] : []),
        '--train-delay-ms',
        String(delayMs),
        '--http-port',
        '0',
      ]);
      log(
        `${group.count} devices of ${group.group} (partitions ${first}..${first + group.count - 1}, ${delayMs} ms per training) through a proxy on ${toEdge.port}`,
      );
    }
    await waitForDevices(topology, edgePorts, processes, remaining());
    log('every device is connected; starting the coordinator');

    const runsDir = join(workDir, 'runs');
    const { schedule, strategy } = topology;
    const coordinator = cli('coordinator', [
      'coordinator',
      '--config',
      taskFile,
      '--regions',
      topology.edges.map((e) => e.id).join(','),
      '--rounds',
      String(schedule.rounds),
      '--kappa1',
      String(schedule.kappa1),
      '--kappa2',
      String(schedule.kappa2),
      '--fraction',
      String(schedule.fraction),
      '--quorum',
      String(schedule.quorum),
      '--edge-deadline',
      String(schedule.edgeDeadlineSeconds),
      '--round-deadline',
      String(schedule.roundDeadlineSeconds),
      '--eval-every',
      String(schedule.evalEvery),
      '--strategy',
      strategy.name,
      ...Object.entries(strategy.options).flatMap(([k, v]) => ['--strategy-option', `${k}=${String(v)}`]),
      // The coordinator sends the downlink to the edges in every job.
      '--downlink',
      topology.downlink.dtype,
      '--downlink-rows',
      String(topology.downlink.rowFraction),
      '--downlink-energy',
      String(topology.downlink.energy),
      '--redis-url',
      `redis://127.0.0.1:${redisPort}`,
      '--redis-prefix',
      prefix,
      '--runs-dir',
      runsDir,
      '--exit-when-done',
      '--reset',
      '--http-port',
      String(await freePort()),
    ]);
    const code = await Promise.race([coordinator.exited, processes.failed, timeout(remaining(), 'the coordinator to finish the run')]);
    if (code !== 0) throw new StrataError('STRATA_ERR_DAEMON', `the coordinator exited with code ${code}; see ${coordinator.logFile}`);
    const record = readOnlyRecord(runsDir);
    return annotate(record, loaded, proxies, notes, workDir);
  } finally {
    await processes.stopAll();
    for (const { proxy } of proxies) await proxy.close();
  }
}

/** The task part of the coordinator's and the devices' configuration; synthetic data is written out as CSV. */
function writeTaskConfig(topology: Topology, workDir: string, notes: string[]): string {
  const { name, data, options } = topology.task;
  let source: Record<string, unknown> | undefined = data.file;
  if (data.synthetic) {
    const synthetic = generateSyntheticRecsysData({
      ...data.synthetic,
      users: data.synthetic.users ?? deviceCount(topology),
      seed: topology.seed,
    });
    const { users, items, numItems } = synthetic.interactions;
    const lines = Array.from(users, (u, k) => `${u},${items[k]}`);
    const path = join(workDir, 'synthetic.csv');
    writeFileSync(path, `${lines.join('\n')}\n`);
    source = { path, format: 'delimited', delimiter: ',', header: false, columns: [0, 1] };
    const used = new Set(items).size;
    if (used < numItems)
      notes.push(
        `synthetic data: ${numItems - used} of ${numItems} items have no interaction and are absent from the CSV the daemons read`,
      );
  }
  const file = join(workDir, 'task.yaml');
  writeFileSync(file, stringifyYaml({ task: name, ...(source ? { data: source } : {}), taskOptions: options, seed: topology.seed }));
  return file;
}

function meanSamples(task: FederatedTask, first: number, count: number): number {
  let sum = 0;
  for (let k = first; k < first + count; k++) sum += task.createDevice(k).numSamples;
  return sum / count;
}

async function waitForDevices(
  topology: Topology,
  ports: ReadonlyMap<string, { health: number }>,
  processes: DaemonProcesses,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const edge of topology.edges) {
    const expected = topology.devices.filter((g) => g.edge === edge.id).reduce((n, g) => n + g.count, 0);
    for (;;) {
      const devices = await fetch(`http://127.0.0.1:${ports.get(edge.id)!.health}/healthz`)
        .then((r) => r.json() as Promise<{ devices?: number }>)
        .then(
          (h) => h.devices ?? 0,
          () => 0,
        );
      if (devices >= expected) break;
      if (Date.now() > deadline)
        throw new StrataError('STRATA_ERR_DAEMON', `edge ${edge.id} has ${devices} of its ${expected} devices connected`);
      await Promise.race([new Promise((resolve) => setTimeout(resolve, 250)), processes.failed]);
    }
  }
}

function timeout(ms: number, what: string): Promise<never> {
  return new Promise((_, reject) => {
    const timer = setTimeout(
      () => reject(new StrataError('STRATA_ERR_TIMEOUT', `timed out after ${Math.round(ms / 1000)} s waiting for ${what}`)),
      ms,
    );
    timer.unref();
  });
}

function readOnlyRecord(runsDir: string): RunRecord {
  const ids = readdirSync(runsDir);
  if (ids.length !== 1) throw new StrataError('STRATA_ERR_DAEMON', `expected one run record in ${runsDir}, found ${ids.length}`);
  return JSON.parse(readFileSync(join(runsDir, ids[0], 'run.json'), 'utf8')) as RunRecord;
}

function annotate(record: RunRecord, loaded: LoadedTopology, proxies: readonly ShapedProxy[], notes: string[], workDir: string): RunRecord {
  const { topology } = loaded;
  const bytes: TierBytes = emptyTierBytes();
  for (const { tier, proxy } of proxies) {
    const stats = proxy.stats();
    bytes[`${tier}Up`] += stats.deliveredUp;
    bytes[`${tier}Down`] += stats.deliveredDown;
  }
  if (topology.devices.some((g) => g.availability.kind !== 'always'))
    notes.push('devices are always online: availability is not applied in real-network mode');
  if (topology.devices.some((g) => g.data.skew < 1)) notes.push('partitions are dealt in contiguous blocks per device group (as skew 1)');
  // Wall time at the end of each round (each round's includes its evaluation).
  const elapsedAfter: number[] = [];
  for (const round of record.rounds) elapsedAfter.push((elapsedAfter.at(-1) ?? 0) + round.wallSeconds);
  const elapsed = elapsedAfter.at(-1) ?? 0;
  const wire = tierRecord(bytes);
  // The coordinator counts every edge's device traffic as device-edge; edges in the cloud's region are the
  // cloud itself (a flat deployment), so theirs is device-cloud traffic and their blobs cross no link.
  const flat = topology.edges.every((edge) => edge.region === topology.cloud.region);
  return {
    ...record,
    id: record.id.replace(/^(\d{8}-\d{6})-/, `$1-real-${topology.name}-`),
    config: {
      ...record.config,
      topology,
      topologyFile: loaded.file,
      linkShaping: {
        mode: 'shaping-proxy',
        model: VIRTUAL_LINK_SHAPING.model,
        proxies: proxies.map(({ name, tier }) => ({ name, tier })),
        notes,
        logs: workDir,
      },
    },
    // On a real network the simulated time is the wall time (each round's includes its evaluation).
    rounds: record.rounds.map((round, i) => ({
      ...round,
      simSeconds: elapsedAfter[i],
      ...(flat ? { bytes: asDeviceCloud(round.bytes) } : {}),
    })),
    final: { ...record.final, simSeconds: elapsed, wireBytes: wire, cloudLinkWireBytes: cloudLinkBytes(wire) },
  };
}

function asDeviceCloud(bytes: RunRecord['rounds'][number]['bytes']): RunRecord['rounds'][number]['bytes'] {
  const { deviceEdge = 0, deviceEdgeUp = 0, deviceEdgeDown = 0, edgeCloud, edgeCloudUp, edgeCloudDown, ...rest } = bytes;
  return { ...rest, deviceEdge: 0, edgeCloud: 0, deviceCloud: deviceEdge, deviceCloudUp: deviceEdgeUp, deviceCloudDown: deviceEdgeDown };
}
