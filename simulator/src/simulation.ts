// A topology run on the virtual clock: the real Coordinator, EdgeNodes and DeviceClients, wired by the
// simulated network (device links), an in-memory job queue and blob store that edges reach over their
// backhaul, and devices that come and go as their availability says. Accuracy is measured between rounds by
// evaluating the global model on every simulated device's held-out data, outside simulated time (it observes
// the run, it is not part of it). Produces the run record: per round simulated time, bytes per tier,
// participation; at the end a participation timeline, the scale figures and, with an adversary, the attack's
// success over the honest users (`final.adversary`).

import { createHash } from 'node:crypto';
import { hostname, cpus } from 'node:os';
import { Coordinator, withCloudStaleness, withStaleness, type RoundOutcome } from '@strata/coordinator';
import { DeviceClient } from '@strata/device-client';
import { EdgeNode } from '@strata/edge-node';
import {
  CryptoRandom,
  SeededRandom,
  createStrategy,
  newRunId,
  type DeviceTrainer,
  type EvaluationSums,
  type FederatedTask,
  type Logger,
  type ModelParams,
  type RoundRecord,
  type RunRecord,
  cloudLinkBytes,
  tierBytesBetween,
  tierRecord,
  type TierBytes,
} from '@strata/shared';
import { InMemoryBlobStore, InMemoryJobQueue } from '@strata/runtime';
import { AttackingTrainer, chooseAttackers, type Attack } from './adversary.js';
import { ALWAYS_ONLINE, DutyCycle, TraceAvailability, type AvailabilitySchedule } from './availability.js';
import { MeteredTrainer } from './compute-meter.js';
import { targetHitRate } from './item-promotion.js';
import { planDevices, type PlannedDevice } from './device-plan.js';
import { LinkedBlobStore } from './linked-blob-store.js';
import { LinkedJobQueue } from './linked-job-queue.js';
import type { LoadedTopology } from './load-topology.js';
import { ParticipationTimeline, type TimelineSummary } from './participation-timeline.js';
import { SimNetwork, type SimEndpoint } from './sim-network.js';
import { TopologyRoutes } from './topology-routes.js';
import type { Topology } from './topology-schema.js';
import { VirtualClock } from './virtual-clock.js';

export interface SimulationObserver {
  /** Before a round: about how many device trainings it will run. */
  roundStarted?(round: number, expectedTrainings: number): void;
  deviceTrained?(): void;
  roundFinished?(record: RoundRecord): void;
}

export interface SimulationOptions {
  readonly loaded: LoadedTopology;
  readonly task: FederatedTask;
  readonly logger: Logger;
  readonly observer?: SimulationObserver;
  /** Reference results for the report (e.g. planted scores, popularity). */
  readonly baselines?: Record<string, Record<string, number>>;
  readonly environment?: Record<string, unknown>;
  /** Ends the run after the first evaluation this says yes to (a time-to-accuracy comparison); `final.stoppedEarly` says so. */
  readonly stopWhen?: (metrics: Readonly<Record<string, number>>) => boolean;
}

/** What a simulated run adds to the run record's `final`. */
export interface SimulationFinal {
  metrics: Record<string, number>;
  wallSeconds: number;
  simSeconds: number;
  /** Bytes per tier over the whole run. */
  bytes: Record<string, number>;
  cloudLinkBytes: number;
  scale: {
    devices: number;
    /** Heap the devices took when they were created, per device (NaN unless run with node --expose-gc). */
    heapBytesPerDevice: number;
    /** Heap in use at the end of the run, per device (an upper bound: it includes the data and the model). */
    heapUsedBytesPerDevice: number;
    simSecondsPerWallSecond: number;
  };
  timeline: TimelineSummary;
  [extra: string]: unknown;
}

/** The cut-off K of a promotion attack's success: the target item in an honest user's top K. */
export const TARGET_CUTOFF = 20;

/** What `final.adversary` says about a run with attackers. */
export interface AdversaryReport {
  attack: Attack;
  fraction: number;
  attackers: number;
  /** promote-item: the target item, and `targetHitRate@20`, the share of honest users with it in their top 20. */
  targetItem?: number;
  [hitRate: `targetHitRate@${number}`]: number;
}

export type SimulatedRunRecord = RunRecord & { final: SimulationFinal };

interface SimDevice {
  readonly plan: PlannedDevice;
  readonly client: DeviceClient;
  readonly endpoint: SimEndpoint;
  /** The device's honest trainer (what evaluation uses); an attacker's client sends poisoned updates. */
  readonly trainer: DeviceTrainer;
  readonly attacker: boolean;
  readonly availability: AvailabilitySchedule;
  online: boolean;
  /** Whether the device has been online at any time so far (a user never online has an untrained embedding). */
  everOnline: boolean;
}

/** How the simulated links are shaped, for the run record. */
export const VIRTUAL_LINK_SHAPING = {
  mode: 'virtual-clock',
  model:
    'per link and direction, messages queue first-come first-served for bytes / bandwidth, then take ' +
    'latency + jitter (normal, clamped at 0); each lost packet (1460 B) adds a retransmission timeout ' +
    'max(200 ms, 2 latency + 4 jitter), or in drop mode loses the message; routes are store-and-forward',
} as const;

export class Simulation {
  readonly clock = new VirtualClock();
  readonly timeline = new ParticipationTimeline();
  readonly network: SimNetwork;
  private readonly topology: Topology;
  private readonly coordinator: Coordinator;
  private readonly edges: EdgeNode[] = [];
  private readonly devices: SimDevice[] = [];
  private readonly queue: InMemoryJobQueue;
  private readonly blobs = new InMemoryBlobStore();
  private readonly random: SeededRandom;
  private readonly failures: unknown[] = [];
  private heapBytesPerDevice = Number.NaN;

  constructor(private readonly options: SimulationOptions) {
    const { topology } = options.loaded;
    this.topology = topology;
    this.random = new SeededRandom(topology.seed).fork('simulation');
    this.network = new SimNetwork({
      clock: this.clock,
      random: this.random.fork('compute'),
      lossMode: topology.simulation.lossMode,
      timeline: this.timeline,
    });
    this.queue = new InMemoryJobQueue(this.clock);
    const { task, logger } = options;
    this.coordinator = new Coordinator({
      task,
      strategy: createStrategy(topology.strategy.name, topology.strategy.options),
      queue: this.queue,
      blobs: this.blobs,
      regions: topology.edges.map((edge) => edge.id),
      schedule: topology.schedule,
      taskOptions: { ...task.defaultOptions(), ...topology.task.options },
      seed: topology.seed,
      defences: topology.defences,
      privacy: topology.privacy,
      privacyRandom: simulatedNoise(topology.seed),
      secureAggregation: topology.secureAggregation,
      // The coordinator sends the edges the model with the same downlink as they send it to their devices.
      downlink: topology.downlink,
      logger: logger.child({ tier: 'coordinator' }),
      clock: this.clock,
    });
    const routes = new TopologyRoutes(topology, this.random.fork('links'));
    for (const edge of topology.edges) {
      const route = routes.edgeRoute(edge.region);
      this.edges.push(
        new EdgeNode({
          region: edge.id,
          nodeId: edge.id,
          server: this.network.listen(edge.id),
          queue: new LinkedJobQueue(this.queue, this.network, route),
          blobs: new LinkedBlobStore(this.blobs, this.network, route),
          strategy: createStrategy(topology.edgeStrategy.name, topology.edgeStrategy.options),
          compression: topology.compression,
          downlink: topology.downlink,
          logger: logger.child({ tier: 'edge', edge: edge.id }),
          clock: this.clock,
          // Simulated time must not pass while an edge unmasks (its virtual clock advances when the process idles).
          secureAggregationPause: async () => {},
          // The task's own checks of device updates (the Gaussians' scaffold and row weights), as embedded edges run them.
          ...(task.checkUpdate ? { checkUpdate: task.checkUpdate.bind(task) } : {}),
        }),
      );
    }
    this.createDevices(routes);
  }

  /** The coordinator's global model (after run(): the run's final model). */
  get globalModel(): ModelParams {
    return this.coordinator.globalModel;
  }

  async run(): Promise<SimulatedRunRecord> {
    const started = performance.now();
    const { topology } = this;
    const { schedule } = topology;
    const limitMs = topology.simulation.maxSimSeconds * 1000;
    const rounds: RoundRecord[] = [];
    let lastEvaluation: Record<string, number> = {};
    /** DP: why the run stopped before its last round (the target ε). */
    let stopped: string | undefined;
    let adversary: AdversaryReport | undefined;
    /** stopWhen: the round after which the run stopped. */
    let stoppedEarly: number | undefined;
    try {
      for (const edge of this.edges) edge.start();
      await this.clock.run(this.coordinator.start());
      await this.clock.run(Promise.all(this.devices.map((device) => this.follow(device))));
      const intervalMs = topology.simulation.roundIntervalSeconds * 1000;
      const firstStart = this.clock.now();
      for (let round = 1; round <= schedule.rounds; round++) {
        stopped = this.coordinator.privacyStop() ?? undefined;
        if (stopped) break;
        if (intervalMs > 0) await this.clock.advanceTo(firstStart + (round - 1) * intervalMs);
        this.options.observer?.roundStarted?.(round, Math.ceil(this.timeline.online * schedule.fraction) * schedule.kappa2);
        const wallStart = performance.now();
        const before = this.network.bytes();
        const outcome = await this.clock.run(this.coordinator.runRound(round), { limitMs });
        this.throwFailures();
        stopped = outcome.stopped;
        if (stopped) break;
        const evaluateNow = round === schedule.rounds || (schedule.evalEvery > 0 && round % schedule.evalEvery === 0);
        const evaluation = evaluateNow ? await this.evaluate(this.coordinator.globalModel) : undefined;
        if (evaluation) lastEvaluation = evaluation;
        const record = this.roundRecord(outcome, before, (performance.now() - wallStart) / 1000, evaluation);
        rounds.push(record);
        this.options.observer?.roundFinished?.(record);
        if (evaluation && this.options.stopWhen?.(evaluation)) {
          stoppedEarly = round;
          break;
        }
      }
      // DP: the run stopped at its target ε; evaluate the model its released rounds made.
      if (stopped) lastEvaluation = await this.evaluate(this.coordinator.globalModel);
      adversary = await this.adversaryReport(this.coordinator.globalModel);
    } finally {
      await this.stop();
    }
    const wallSeconds = (performance.now() - started) / 1000;
    const simSeconds = this.clock.now() / 1000;
    const totals = sumBytes(rounds);
    const { task } = this.options;
    return {
      id: newRunId(`sim-${topology.name}`),
      task: task.id,
      mode: 'simulated',
      startedAt: new Date(Date.now() - wallSeconds * 1000).toISOString(),
      config: {
        topology,
        topologyFile: this.options.loaded.file,
        task: task.describe(),
        taskName: topology.task.name,
        linkShaping: VIRTUAL_LINK_SHAPING,
      },
      environment: {
        node: process.version,
        host: hostname(),
        cpus: cpus().length,
        platform: process.platform,
        ...this.options.environment,
      },
      rounds,
      final: {
        metrics: lastEvaluation,
        wallSeconds,
        simSeconds,
        bytes: totals,
        cloudLinkBytes: cloudLinkBytes(totals),
        scale: {
          devices: this.devices.length,
          heapBytesPerDevice: this.heapBytesPerDevice,
          heapUsedBytesPerDevice: process.memoryUsage().heapUsed / Math.max(1, this.devices.length),
          simSecondsPerWallSecond: simSeconds / wallSeconds,
        },
        timeline: this.timeline.summarize(this.clock.now(), topology.simulation.timelineBins),
        ...(this.coordinator.epsilon !== undefined ? { epsilon: this.coordinator.epsilon, delta: topology.privacy.delta } : {}),
        ...(stopped ? { stopped } : {}),
        ...(adversary ? { adversary } : {}),
        ...(stoppedEarly !== undefined ? { stoppedEarly } : {}),
      },
      baselines: this.options.baselines ?? {},
    };
  }

  private createDevices(routes: TopologyRoutes): void {
    const { topology } = this;
    const { task, logger } = this.options;
    const plans = planDevices(topology, task.numDevices, this.random.fork('data'));
    const phases = this.random.fork('availability');
    const deviceLogger = logger.child({ tier: 'device' });
    const onTrained = this.options.observer?.deviceTrained?.bind(this.options.observer);
    const heapBefore = heapAfterCollection();
    const { adversary } = topology;
    const attackers = adversary ? chooseAttackers(plans.length, adversary.fraction, this.random.fork('adversary')) : new Set<number>();
    const attackNoise = this.random.fork('attack-noise');
    for (const [index, plan] of plans.entries()) {
      const group = topology.devices[plan.groupIndex];
      const edge = topology.edges[plan.edgeIndex];
      const secondsPerSample = group.compute.secondsPerSample ?? topology.simulation.referenceSecondsPerSample / (group.compute.speed ?? 1);
      const trainer = task.createDevice(plan.partition);
      const attacker = adversary !== undefined && attackers.has(index);
      const sent = attacker ? new AttackingTrainer(trainer, adversary, attackNoise.fork(index)) : trainer;
      this.devices.push({
        plan,
        trainer,
        attacker,
        client: new DeviceClient({
          nodeId: plan.id,
          region: edge.id,
          trainer: new MeteredTrainer(sent, secondsPerSample, onTrained),
          compression: topology.compression,
          logger: deviceLogger,
          secureRandom: simulatedDeviceRandom(topology.seed, plan.id),
        }),
        endpoint: this.network.endpoint(routes.deviceRoute(group, edge), group.compute.jitter),
        availability: this.availability(plan, phases),
        online: false,
        everOnline: false,
      });
    }
    const heapAfter = heapAfterCollection();
    if (plans.length > 0 && heapBefore !== undefined && heapAfter !== undefined)
      this.heapBytesPerDevice = (heapAfter - heapBefore) / plans.length;
  }

  private availability(plan: PlannedDevice, phases: SeededRandom): AvailabilitySchedule {
    const spec = this.topology.devices[plan.groupIndex].availability;
    switch (spec.kind) {
      case 'always':
        return ALWAYS_ONLINE;
      case 'duty-cycle': {
        const on = Math.round(spec.onSeconds * 1000);
        const off = Math.round(spec.offSeconds * 1000);
        return new DutyCycle(on, off, spec.phase === 'random' ? phases.int(on + off) : 0);
      }
      case 'trace':
        return TraceAvailability.forDevice(this.options.loaded.traces.get(plan.groupIndex)!, plan.indexInGroup, spec.repeat);
    }
  }

  /** Brings a device to its state now and schedules its next change, for as long as the simulation runs. */
  private async follow(device: SimDevice): Promise<void> {
    const online = device.availability.onlineAt(this.clock.now());
    if (online !== device.online) {
      device.online = online;
      device.everOnline ||= online;
      const edgeId = this.topology.edges[device.plan.edgeIndex].id;
      await (online ? device.client.connect(device.endpoint, edgeId) : device.client.disconnect());
    }
    const next = device.availability.nextChange(this.clock.now());
    if (next !== undefined) {
      this.clock.at(next, () => void this.follow(device).catch((error: unknown) => this.failures.push(error)));
    }
  }

  /** The global model's metrics over every simulated device's held-out data (or the task's own evaluation). */
  private async evaluate(model: ModelParams): Promise<Record<string, number>> {
    if (this.options.task.evaluate) return this.options.task.evaluate(model);
    const all = { count: 0, sums: {} as Record<string, number> };
    const seen = { count: 0, sums: {} as Record<string, number> };
    let unseen = 0;
    const add = (into: typeof all, result: EvaluationSums): void => {
      into.count += result.count;
      for (const [key, value] of Object.entries(result.sums)) into.sums[key] = (into.sums[key] ?? 0) + value;
    };
    // The honest users' view: attackers' own held-out data is left out of the metrics.
    for (const { trainer, attacker, everOnline } of this.devices) {
      if (!trainer.evaluate || attacker) continue;
      const result = await trainer.evaluate(model);
      add(all, result);
      if (everOnline) add(seen, result);
      else unseen++;
    }
    const metrics: Record<string, number> = {};
    if (all.count > 0) for (const [key, value] of Object.entries(all.sums)) metrics[key] = value / all.count;
    // With devices that have never been online (a duty cycle's later half, a trace), the same metrics over the
    // users that have: what the aggregation made of the data it could see, apart from users not yet arrived.
    if (unseen > 0) {
      metrics.unseenUsers = unseen;
      if (seen.count > 0) for (const [key, value] of Object.entries(seen.sums)) metrics[`seen:${key}`] = value / seen.count;
    }
    return metrics;
  }

  /** The attack and its success on the final model: for promote-item, how many honest users get the target in their top-K. */
  private async adversaryReport(model: ModelParams): Promise<AdversaryReport | undefined> {
    const { adversary } = this.topology;
    if (!adversary) return undefined;
    const report: AdversaryReport = {
      attack: adversary.attack,
      fraction: adversary.fraction,
      attackers: this.devices.filter((device) => device.attacker).length,
    };
    if (adversary.attack !== 'promote-item' || adversary.targetItem === undefined) return report;
    const honest = this.devices.filter((device) => !device.attacker).map((device) => device.trainer);
    const hitRate = await targetHitRate(honest, model, adversary.targetItem, TARGET_CUTOFF);
    return { ...report, targetItem: adversary.targetItem, [`targetHitRate@${TARGET_CUTOFF}`]: hitRate };
  }

  private roundRecord(
    outcome: RoundOutcome,
    before: TierBytes,
    wallSeconds: number,
    evaluation: Record<string, number> | undefined,
  ): RoundRecord {
    const bytes = tierRecord(tierBytesBetween(before, this.network.bytes()));
    return {
      round: outcome.round,
      wallSeconds,
      simSeconds: this.clock.now() / 1000,
      bytes,
      cloudLinkBytes: cloudLinkBytes(bytes),
      metrics: { ...outcome.metrics, ...(evaluation ?? {}) },
      version: outcome.version,
      participation: { ...outcome.participation, online: this.timeline.online },
      ...withStaleness(outcome.participation.staleness),
      ...withCloudStaleness(outcome.participation.cloudStaleness),
      ...(outcome.privacy ? { epsilon: outcome.privacy.epsilon, privacy: outcome.privacy } : {}),
    };
  }

  private throwFailures(): void {
    if (this.failures.length > 0) throw this.failures[0];
  }

  private async stop(): Promise<void> {
    for (const edge of this.edges) await edge.stop();
    await this.queue.close();
    await this.blobs.close();
  }
}

function sumBytes(rounds: readonly RoundRecord[]): Record<string, number> {
  const total: Record<string, number> = {};
  for (const round of rounds) for (const [key, value] of Object.entries(round.bytes)) total[key] = (total[key] ?? 0) + value;
  return total;
}

/**
 * The coordinator's DP noise, keyed from the topology's seed: a simulation must be reproducible, so its noise
 * is too (a deployment's coordinator keys its generator from the platform's entropy).
 */
function simulatedNoise(seed: number): CryptoRandom {
  return seededCryptoRandom(`strata-simulation-dp-noise/${seed}`);
}

/**
 * A device's secure-aggregation generator for its next session (keys, seeds, distributed-DP noise), keyed from
 * the topology's seed, the device and the session's number, so that a simulation replays (a deployed device
 * keys each session from the platform's entropy).
 */
function simulatedDeviceRandom(seed: number, deviceId: string): () => CryptoRandom {
  let sessions = 0;
  return () => seededCryptoRandom(`strata-simulation-device/${seed}/${deviceId}/${sessions++}`);
}

function seededCryptoRandom(label: string): CryptoRandom {
  return CryptoRandom.fromSeed(createHash('sha256').update(label).digest());
}

/** Heap in use after a full collection; undefined unless the process allows one (node --expose-gc). */
function heapAfterCollection(): number | undefined {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return undefined;
  gc();
  return process.memoryUsage().heapUsed;
}
