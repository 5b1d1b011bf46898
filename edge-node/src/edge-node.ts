// An edge node: serves its region's devices and runs the HierFAVG inner loop. It takes `edge-round` jobs
// from its region's queue, runs κ2 edge iterations (select devices, send them the edge model, aggregate the
// answers once a quorum has answered or the deadline passed), stores its cumulative update as a blob and
// completes the job with the blob's key. `edge-evaluate` jobs collect metric sums from every device.
// Replicas of a region share its queue; with `minDevices` an edge takes jobs only while it serves devices, so
// a standby replica leaves the region's jobs to the replica its devices are connected to until they fail over.

import {
  AsyncAggregator,
  ConfigError,
  asyncConflict,
  CumulativeDelta,
  SeededRandom,
  cloneModel,
  countReason,
  emptyParticipation,
  edgeUpdateBlobKey,
  gatherQuorum,
  quorumSize,
  regionQueue,
  selectDevices,
  updateBytesBound,
  isResync,
  downlinkSchema,
  ModelDownlink,
  decodeUpdateReply,
  UpdateEncoder,
  checkEvaluationAnswer,
  checkTrainingAnswer,
  clipToMedianNorm,
  InvalidUpdateError,
  PhaseTimer,
  RoundTimeoutError,
  StrataError,
  WireFormatError,
  systemClock,
  EDGE_JOB_KINDS,
  InvalidJobError,
  edgeRoundJobSchema,
  parseJobPayload,
  secureWeightCap,
  ROBUST_STRATEGIES,
  type AsyncSchedule,
  type BlobStore,
  type Clock,
  type Compression,
  type EdgeEvaluateResult,
  type EdgeParticipation,
  type EdgeRoundJob,
  type EdgeRoundResult,
  type Job,
  type JobData,
  type JobQueue,
  type Logger,
  type ModelParams,
  type ModelUpdate,
  type PeerConnection,
  type QueueWorker,
  type Strategy,
  type TransportServer,
  type UpdateSender,
  type DecodedUpdate,
  type Downlink,
  type DownlinkFrames,
  type ExpectedAnswer,
  type RoundRequestHeader,
} from '@strata/shared';
import { readEdgeModel, type HeldEdgeModel } from './edge-model-reader.js';
import { privateDeviceSum } from './private-device-sum.js';
import { secureDeviceSum, secureSetup, secureSum } from './secure-device-sum.js';

export interface EdgeNodeOptions {
  readonly region: string;
  readonly nodeId: string;
  /** The link to this region's devices. */
  readonly server: TransportServer;
  readonly queue: JobQueue;
  readonly blobs: BlobStore;
  /** How this edge aggregates its devices (FedAvg unless configured); one instance per edge. */
  readonly strategy: Strategy;
  readonly compression: Compression;
  /** How models go down to devices (default: downlinkSchema's). */
  readonly downlink?: Downlink;
  readonly logger: Logger;
  /** Largest update frame accepted from a device (default: updateBytesBound of the round's model). */
  readonly maxUpdateBytes?: number;
  /** Times the edge deadlines (default: the system clock; the simulator passes a virtual one). */
  readonly clock?: Clock;
  /**
   * Runs between masks while a secure-aggregation session unmasks (default: a turn of the event loop, so the
   * edge keeps serving its links). The simulator passes a no-op: its virtual clock advances whenever the
   * process is idle, and a yield mid-unmasking would let simulated time pass for work it does not charge.
   */
  readonly secureAggregationPause?: () => Promise<void>;
  /** Called when a device's answer is rejected (the reason is counted in the job result too). */
  readonly onReject?: (reason: string, deviceId: string) => void;
  /** Told when jobs start and finish (metrics). */
  readonly observer?: EdgeNodeObserver;
  /**
   * Take jobs only while at least this many devices are connected (default: always take them). A replica
   * without devices then leaves the region's jobs to the one that has them.
   */
  readonly minDevices?: number;
  /** The task's own checks of a device's update (FederatedTask.checkUpdate), when the edge is built with the task. */
  readonly checkUpdate?: (update: ModelUpdate, model: ModelParams, from: UpdateSender) => void;
}

export interface EdgeJobInfo {
  readonly name: string;
  readonly roundId: string;
  readonly round: number;
  readonly attempt: number;
}

export interface EdgeNodeObserver {
  jobStarted?(job: EdgeJobInfo): void;
  /** Devices connecting and leaving (the live dashboard's topology). */
  peerChanged?(deviceId: string, event: 'connect' | 'disconnect'): void;
  /** A request went to these devices (iteration 0: an evaluation). */
  requestsSent?(job: EdgeJobInfo, iteration: number, deviceIds: readonly string[]): void;
  /** A device's reply arrived (ok) or its request failed, as it happens, before the quorum closes. */
  deviceReplied?(job: EdgeJobInfo, deviceId: string, ok: boolean): void;
  /** `expired`: the job's round deadline had passed when it was taken, so it was skipped. */
  jobFinished?(job: EdgeJobInfo, outcome: 'done' | 'expired', seconds: number, participation: EdgeParticipation): void;
}

/** Asynchronous schedules: a device's settled request, waiting for a job to take it (it may outlive the job that sent it). */
interface AsyncReply {
  readonly peer: PeerConnection;
  /** What the answer must match: the request's round, the edge model version it was sent, the sender. */
  readonly expected: ExpectedAnswer;
  readonly reply?: Uint8Array;
  readonly error?: Error;
}

/** A global model the edge fetched for a job, and its version. */
export interface EdgeGlobalModel {
  /** Read-only: jobs and renders share it. */
  readonly model: ModelParams;
  readonly version: number;
}

export class EdgeNode {
  private worker: QueueWorker | undefined;
  private readonly encoder: UpdateEncoder;
  /** How models go down to the devices, and its settings (a job's own replace the edge's: see useDownlink). */
  private downlink: ModelDownlink;
  private downlinkKey: string;
  /** The edge's own downlink settings, for jobs that carry none. */
  private readonly ownDownlink: Downlink;
  private started = false;
  private gated = false;
  private readonly closing = new Set<Promise<void>>();
  private current: EdgeJobInfo | undefined;
  private newest: EdgeGlobalModel | undefined;
  /** Largest answer accepted from a device in the current job (see updateBytesBound). */
  private replyLimit: number | undefined;
  /** The last model blob read, by key: jobs only read the model, so they share it. */
  /** Secure-aggregation sessions this edge has opened (part of each session's id). */
  private secureSessions = 0;
  private fetched: HeldEdgeModel | undefined;
  /** Asynchronous schedules: the devices with a training request in flight. */
  private readonly asyncInFlight = new Set<string>();
  /** Asynchronous schedules: settled requests no job has taken yet. */
  private readonly asyncInbox: AsyncReply[] = [];
  /** Asynchronous schedules: wakes the running job (a reply settled, a device came or went). */
  private asyncWake: (() => void) | undefined;
  /** Asynchronous schedules: the edge model's version (one more per server step and per new global model). */
  private asyncVersion = 0;

  constructor(private readonly options: EdgeNodeOptions) {
    this.encoder = new UpdateEncoder(options.compression);
    this.ownDownlink = options.downlink ?? downlinkSchema.parse({});
    this.downlink = new ModelDownlink(this.ownDownlink);
    this.downlinkKey = JSON.stringify(this.ownDownlink);
    options.server.onPeerChange(() => this.asyncWake?.());
    const observer = options.observer;
    if (observer?.peerChanged) options.server.onPeerChange((peer, event) => observer.peerChanged?.(peer.info.nodeId, event));
  }

  get region(): string {
    return this.options.region;
  }

  /** The job being run, if any. */
  get activeJob(): EdgeJobInfo | undefined {
    return this.current;
  }

  /**
   * The newest global model fetched for a job (what the edge renders for its devices): the model the latest
   * round started from, so one version behind the coordinator once that round is committed.
   */
  get latestModel(): EdgeGlobalModel | undefined {
    return this.newest;
  }

  /** Whether the edge is taking jobs now (with minDevices, only while enough devices are connected). */
  get takingJobs(): boolean {
    return this.worker !== undefined;
  }

  start(): void {
    this.started = true;
    const { minDevices } = this.options;
    if (minDevices === undefined) {
      this.openWorker();
      return;
    }
    if (!this.gated) {
      this.gated = true;
      this.options.server.onPeerChange(() => this.gate(minDevices));
    }
    this.gate(minDevices);
  }

  /** Stops taking jobs; resolves once the job in progress (if any) has finished. */
  async stop(): Promise<void> {
    this.started = false;
    this.closeWorker();
    await Promise.all([...this.closing]);
  }

  private gate(minDevices: number): void {
    if (!this.started) return;
    const enough = this.options.server.peers().length >= minDevices;
    if (enough && !this.worker) {
      this.options.logger.info({ devices: this.options.server.peers().length }, 'devices connected: taking jobs');
      this.openWorker();
    } else if (!enough && this.worker) {
      this.options.logger.info({ devices: this.options.server.peers().length, minDevices }, 'too few devices: not taking jobs');
      this.closeWorker();
    }
  }

  private openWorker(): void {
    this.worker = this.options.queue.process(regionQueue(this.options.region), (job) => this.handle(job));
  }

  private closeWorker(): void {
    const worker = this.worker;
    this.worker = undefined;
    if (!worker) return;
    const closing = worker.close().finally(() => this.closing.delete(closing));
    this.closing.add(closing);
  }

  private async handle(job: Job): Promise<JobData> {
    if (!(EDGE_JOB_KINDS as readonly string[]).includes(job.name)) {
      throw new InvalidJobError(`job ${job.id} on ${job.queue} is a ${JSON.stringify(job.name)}, not one of ${EDGE_JOB_KINDS.join(', ')}`);
    }
    const data = parseJobPayload(edgeRoundJobSchema, job.data, `${job.name} job ${job.id}`);
    const info: EdgeJobInfo = { name: job.name, roundId: data.roundId, round: data.round, attempt: job.attempt };
    const started = performance.now();
    const clock = this.options.clock ?? systemClock;
    if (data.deadline !== undefined && clock.now() >= data.deadline) {
      // A job taken after its round closed (a retry, or a replica recovering it late): the coordinator has
      // aggregated without it, so running it would only cost the devices' time.
      this.options.logger.warn(
        { job: job.name, roundId: data.roundId, attempt: job.attempt },
        'skipping a job whose round deadline has passed',
      );
      const participation = emptyParticipation();
      this.options.observer?.jobFinished?.(info, 'expired', 0, participation);
      return job.name === 'edge-evaluate'
        ? { count: 0, sums: {}, participation, expired: true }
        : { weight: 0, metrics: {}, participation, expired: true };
    }
    const timer = new PhaseTimer();
    const { model, version, fetchedBytes, modelBytes } = await this.fetchModel(data);
    timer.lap('fetch');
    this.replyLimit = this.options.maxUpdateBytes ?? updateBytesBound(modelBytes);
    this.options.server.limitReplyBytes?.(this.replyLimit);
    // A retried older job must not replace a newer model.
    if (!this.newest || version >= this.newest.version) this.newest = { model, version };
    this.options.logger.info({ job: job.name, roundId: data.roundId, version, attempt: job.attempt }, 'edge job started');
    this.useDownlink(data.downlink ?? this.ownDownlink);
    this.current = info;
    this.options.observer?.jobStarted?.(info);
    try {
      const result =
        job.name === 'edge-evaluate'
          ? await this.evaluate(data, model, version)
          : data.asyncSchedule
            ? await this.trainAsync(data, data.asyncSchedule, model, version, timer)
            : await this.train(data, model, version, timer);
      result.participation.bytesFetched = fetchedBytes;
      this.options.observer?.jobFinished?.(info, 'done', (performance.now() - started) / 1000, result.participation);
      return result;
    } finally {
      this.current = undefined;
    }
  }

  /**
   * Sends models down with `downlink` from now on (the run's, which the coordinator puts in every job). Other
   * settings than the current ones start a new downlink: what devices hold is forgotten, so each gets the whole
   * model once (a coordinator sends the same settings every job, so this happens at a run's first job at most).
   */
  private useDownlink(downlink: Downlink): void {
    const key = JSON.stringify(downlink);
    if (key === this.downlinkKey) return;
    this.options.logger.info({ downlink }, 'the job sets another downlink: devices get the whole model next');
    this.downlink = new ModelDownlink(downlink);
    this.downlinkKey = key;
  }

  /**
   * The global model `job` names (with a lossy downlink, the coordinator's replica of it): read once, then
   * reused while jobs name the same key (a round's evaluation and the next round's training read the same
   * version), brought there by the job's patch when the edge holds its base (edge-model-reader.ts).
   * `fetchedBytes` is what crossed the edge-cloud link for this job.
   */
  private async fetchModel(job: EdgeRoundJob): Promise<HeldEdgeModel & { fetchedBytes: number }> {
    const { held, fetchedBytes } = await readEdgeModel(this.options.blobs, job, this.fetched, this.options.logger);
    this.fetched = held;
    return { ...held, fetchedBytes };
  }

  /** An iteration's deadline in seconds: the edge deadline, cut short by the round's. */
  private iterationDeadline(job: EdgeRoundJob): number {
    const { edgeDeadlineSeconds } = job.schedule;
    if (job.deadline === undefined) return edgeDeadlineSeconds;
    const left = (job.deadline - (this.options.clock ?? systemClock).now()) / 1000;
    return Math.max(0, Math.min(edgeDeadlineSeconds, left));
  }

  private async train(job: EdgeRoundJob, global: ModelParams, version: number, timer: PhaseTimer): Promise<EdgeRoundResult> {
    const { kappa1, kappa2, fraction, quorum } = job.schedule;
    const edgeModel = cloneModel(global);
    timer.lap('decode');
    const cumulative = new CumulativeDelta(global);
    const participation = emptyParticipation();
    const random = new SeededRandom(job.seed).fork(`${this.options.region}:${job.round}`);
    let privateSum: ModelUpdate | undefined;
    let population = 0;
    for (let iteration = 1; iteration <= kappa2; iteration++) {
      const edgeDeadlineSeconds = this.iterationDeadline(job);
      if (edgeDeadlineSeconds <= 0) {
        this.options.logger.warn({ roundId: job.roundId, iteration }, 'round deadline reached: no more edge iterations');
        break;
      }
      const peers = this.options.server.peers();
      population = peers.length;
      const selected = selectDevices(peers, fraction, random.fork(iteration));
      const setup =
        job.secureAggregation &&
        secureSetup(
          selected.length,
          job.secureAggregation,
          this.secureWeightCap(job),
          `${job.roundId}/${this.options.region}/${this.options.nodeId}/${iteration}/${this.secureSessions++}`,
          job.privacy,
        );
      if (job.secureAggregation && !setup) {
        participation.secAggAborted = (participation.secAggAborted ?? 0) + 1;
        this.options.logger.warn(
          { roundId: job.roundId, iteration, selected: selected.length },
          'secure aggregation needs 3 devices: iteration skipped',
        );
        continue;
      }
      // The first iteration sends the global model itself, which the round's evaluation sent too.
      this.downlink.advance(edgeModel, version, iteration === 1 ? `v${version}` : `v${version}:${job.roundId}:${iteration}`);
      const frames = this.downlink.frames({
        roundId: job.roundId,
        round: job.round,
        kind: 'train',
        localSteps: kappa1,
        options: job.options,
        ...(setup ? { secureAggregation: setup } : {}),
      });
      timer.lap('encode');
      if (setup && job.secureAggregation) {
        const deadlineMs = edgeDeadlineSeconds * 1000;
        const aggregate = await secureDeviceSum({
          devices: selected,
          model: edgeModel,
          setup,
          train: (device) => this.requestWithModel(device, frames, deadlineMs, participation),
          quorum,
          trainDeadlineMs: deadlineMs,
          stepDeadlineMs: job.secureAggregation.stepSeconds * 1000,
          participation,
          ...(this.replyLimit !== undefined ? { replyLimit: this.replyLimit } : {}),
          ...(this.options.clock ? { clock: this.options.clock } : {}),
          logger: this.options.logger,
          ...(this.options.onReject ? { onReject: this.options.onReject } : {}),
          ...(this.options.secureAggregationPause ? { pause: this.options.secureAggregationPause } : {}),
        });
        timer.lap('exchange');
        if (!aggregate) continue;
        if (job.privacy) {
          // Distributed DP: the devices clipped and noised their updates (weight 1 each); the unmasked sum is
          // the edge's whole contribution, as the clipped sum is under central DP.
          privateSum = secureSum(aggregate);
          break;
        }
        // The edge never saw an update: the weighted mean is all it applies (a weighted-mean strategy's step).
        this.options.strategy.apply(edgeModel, aggregate.mean);
        cumulative.record(aggregate.mean);
        timer.lap('aggregate');
        continue;
      }
      const expected = (peer: PeerConnection): ExpectedAnswer => ({
        roundId: job.roundId,
        baseVersion: version,
        sender: peer.info.nodeId,
        ...(job.limits ? { limits: job.limits } : {}),
      });
      const answers = await this.collect(
        selected,
        frames,
        quorum,
        edgeDeadlineSeconds,
        participation,
        iteration,
        timer,
        (decoded, peer) => {
          const { update, clipped } = checkTrainingAnswer(decoded, expected(peer), edgeModel);
          this.options.checkUpdate?.(update, edgeModel, 'device');
          if (clipped.weight) countReason(participation.clipped, 'weight');
          if (clipped.rowWeights > 0) countReason(participation.clipped, 'row_weight', clipped.rowWeights);
          return update;
        },
      );
      if (answers.length === 0) continue;
      if (job.privacy) {
        // DP: the clipped sum is the edge's whole contribution (the coordinator refuses κ2 > 1 with DP on).
        const dp = privateDeviceSum(answers, job.privacy.clipNorm);
        if (dp.clipped > 0) countReason(participation.clipped, 'dp_norm', dp.clipped);
        participation.dpWithinClip = (participation.dpWithinClip ?? 0) + answers.length - dp.clipped;
        privateSum = dp.sum;
        timer.lap('aggregate');
        break;
      }
      const combined = this.options.strategy.aggregate(clipCounted(answers, job, participation));
      this.options.strategy.apply(edgeModel, combined);
      cumulative.record(combined);
      timer.lap('aggregate');
    }
    const update = privateSum ?? cumulative.resultInPlace(edgeModel); // the edge model is not used after this
    const metrics = { ...update.metrics, samples: privateSum?.weight ?? cumulative.totalWeight };
    return this.uploadEdgeUpdate(job, version, update, metrics, participation, timer, job.privacy ? { population } : {});
  }

  /** Stores the edge's update for the cloud (when it has one) and the job's result. */
  private async uploadEdgeUpdate(
    job: EdgeRoundJob,
    version: number,
    update: ModelUpdate,
    metrics: Record<string, number>,
    participation: EdgeParticipation,
    timer: PhaseTimer,
    counted: { population?: number },
  ): Promise<EdgeRoundResult> {
    if (update.weight <= 0) return { weight: 0, metrics, participation, timings: timer.seconds, ...counted };
    const blobKey = edgeUpdateBlobKey(job.roundId, this.options.region);
    const blob = this.encoder.encode(update, { roundId: job.roundId, baseVersion: version, sender: this.options.nodeId });
    await this.options.blobs.put(blobKey, blob, 24 * 3600);
    timer.lap('upload');
    this.options.logger.info({ roundId: job.roundId, weight: update.weight, participation, timings: timer.seconds }, 'edge round done');
    return { blobKey, weight: update.weight, metrics, participation, timings: timer.seconds, ...counted };
  }

  /** W of the session: the task's weight cap (every secure-aggregation job carries the task's limits). */
  private secureWeightCap(job: EdgeRoundJob): number {
    const strategy = this.options.strategy.name;
    if (ROBUST_STRATEGIES.includes(strategy)) {
      throw new InvalidJobError(
        `job for round ${job.roundId}: secure aggregation hides each device's update from this edge, whose strategy ${strategy} ` +
          'needs them: run robust strategies at the cloud and fedavg (or another weighted mean) at the edges',
      );
    }
    if (!job.limits) throw new InvalidJobError(`job for round ${job.roundId}: secure aggregation needs the task's limits (a weight cap)`);
    return secureWeightCap(job.limits);
  }

  /**
   * An edge round under FedBuff or FedAsync (async toward the devices, synchronous toward the cloud): keeps
   * ⌈fraction × connected⌉ devices training, each on the edge model current when it was free; takes each
   * answer as it settles (checked as in a synchronous round, then refused past the staleness bound or
   * scaled by its staleness weight, see AsyncAggregator) until κ2 × bufferSize updates are accepted or
   * κ2 edge deadlines (cut short by the round's) pass. Requests still in flight then are taken by the next
   * round, as staler updates. The result is the edge model minus the global model, as in a synchronous round.
   */
  private async trainAsync(
    job: EdgeRoundJob,
    asyncSchedule: AsyncSchedule,
    global: ModelParams,
    version: number,
    timer: PhaseTimer,
  ): Promise<EdgeRoundResult> {
    const schedule = { ...job.schedule, ...asyncSchedule };
    const conflict = asyncConflict(schedule.mode, this.options.strategy.name, job.privacy ? 'central' : 'off');
    if (conflict) throw new ConfigError(conflict);
    const clock = this.options.clock ?? systemClock;
    const edgeModel = cloneModel(global);
    timer.lap('decode');
    const cumulative = new CumulativeDelta(global);
    const participation: EdgeParticipation = { ...emptyParticipation(), staleness: {}, edgeSteps: 0 };
    const aggregator = new AsyncAggregator({
      model: edgeModel,
      strategy: this.options.strategy,
      schedule,
      // The new global model is a new version: answers still in flight from the last round are one staler.
      version: ++this.asyncVersion,
      prepare: (updates) => clipCounted(updates, job, participation),
      onStep: (combined, stepped) => {
        cumulative.record(combined);
        participation.edgeSteps = (participation.edgeSteps ?? 0) + 1;
        this.asyncVersion = stepped;
      },
    });
    const target = schedule.kappa2 * schedule.bufferSize;
    const roundLeftMs = job.deadline === undefined ? Number.POSITIVE_INFINITY : job.deadline - clock.now();
    const endAt = clock.now() + Math.max(0, Math.min(schedule.kappa2 * schedule.edgeDeadlineSeconds * 1000, roundLeftMs));
    const requestTimeoutMs = schedule.edgeDeadlineSeconds * 1000;
    const random = new SeededRandom(job.seed).fork(`${this.options.region}:${job.round}:async`);
    const header: RoundRequestHeader = {
      roundId: job.roundId,
      round: job.round,
      kind: 'train',
      localSteps: schedule.kappa1,
      options: job.options,
    };
    let sentAt: { version: number; frames: DownlinkFrames } | undefined;
    const framesNow = (): DownlinkFrames => {
      if (sentAt?.version !== aggregator.version) {
        this.downlink.advance(edgeModel, aggregator.version, `async:${aggregator.version}`);
        sentAt = { version: aggregator.version, frames: this.downlink.frames(header) };
      }
      return sentAt.frames;
    };
    let draws = 0;
    const dispatch = (): void => {
      const peers = this.options.server.peers();
      const slots = Math.max(1, Math.ceil(peers.length * schedule.fraction - 1e-9)) - this.asyncInFlight.size;
      const idle = peers.filter((peer) => !this.asyncInFlight.has(peer.info.nodeId));
      if (slots <= 0 || idle.length === 0) return;
      const chosen = selectDevices(idle, Math.min(1, slots / idle.length), random.fork(++draws));
      const frames = framesNow();
      timer.lap('encode');
      for (const peer of chosen.slice(0, slots)) this.sendAsync(job, peer, frames, aggregator.version, requestTimeoutMs, participation);
    };
    while (aggregator.acceptedCount < target && clock.now() < endAt) {
      // Take every settled answer first, so that freed devices are sent the newest model.
      const reply = this.asyncInbox.shift();
      if (reply) {
        this.takeAsyncReply(reply, aggregator, edgeModel, participation);
        continue;
      }
      dispatch();
      if (this.asyncInbox.length > 0) continue;
      await new Promise<void>((resolve) => {
        const timeout = clock.setTimeout(resolve, endAt - clock.now());
        this.asyncWake = () => {
          clock.clearTimeout(timeout);
          resolve();
        };
      });
      this.asyncWake = undefined;
    }
    timer.lap('exchange');
    aggregator.flush();
    timer.lap('aggregate');
    const update = cumulative.resultInPlace(edgeModel); // the edge model is not used after this
    const metrics = { ...update.metrics, samples: cumulative.totalWeight };
    return this.uploadEdgeUpdate(job, version, update, metrics, participation, timer, {});
  }

  /** Sends `peer` a training request for the edge model of `edgeVersion`; its settling goes to the inbox. */
  private sendAsync(
    job: EdgeRoundJob,
    peer: PeerConnection,
    frames: DownlinkFrames,
    edgeVersion: number,
    timeoutMs: number,
    participation: EdgeParticipation,
  ): void {
    const deviceId = peer.info.nodeId;
    const expected: ExpectedAnswer = {
      roundId: job.roundId,
      baseVersion: edgeVersion,
      sender: deviceId,
      ...(job.limits ? { limits: job.limits } : {}),
    };
    this.asyncInFlight.add(deviceId);
    participation.selected++;
    const info = this.current;
    if (info) this.options.observer?.requestsSent?.(info, edgeVersion, [deviceId]);
    const settle = (settled: AsyncReply): void => {
      this.asyncInFlight.delete(deviceId);
      if (info) this.options.observer?.deviceReplied?.(info, deviceId, settled.reply !== undefined);
      this.asyncInbox.push(settled);
      this.asyncWake?.();
    };
    this.requestWithModel(peer, frames, timeoutMs, participation).then(
      (reply) => settle({ peer, expected, reply }),
      (error: unknown) => settle({ peer, expected, error: error instanceof Error ? error : new Error(String(error)) }),
    );
  }

  /** Checks one settled asynchronous request and offers its update to the aggregator, counting what became of it. */
  private takeAsyncReply(settled: AsyncReply, aggregator: AsyncAggregator, model: ModelParams, participation: EdgeParticipation): void {
    const deviceId = settled.peer.info.nodeId;
    const reject = (reason: string, error: Error): void => {
      countReason(participation.rejected, reason);
      this.options.onReject?.(reason, deviceId);
      this.options.logger.warn({ deviceId, reason, error: error.message }, 'device update rejected');
    };
    if (settled.reply === undefined) {
      const error = settled.error ?? new Error('no reply');
      if (error instanceof WireFormatError) reject('malformed', error);
      else if (error instanceof RoundTimeoutError) participation.dropped++;
      else {
        participation.failed++;
        this.options.logger.warn({ deviceId, error: error.message }, 'device request failed');
      }
      return;
    }
    participation.bytesUp += settled.reply.byteLength;
    try {
      const { update, clipped } = checkTrainingAnswer(decodeUpdateReply(settled.reply, this.replyLimit), settled.expected, model);
      this.options.checkUpdate?.(update, model, 'device');
      if (clipped.weight) countReason(participation.clipped, 'weight');
      if (clipped.rowWeights > 0) countReason(participation.clipped, 'row_weight', clipped.rowWeights);
      const { staleness } = aggregator.offer(update, settled.expected.baseVersion);
      participation.staleness ??= {};
      countReason(participation.staleness, String(staleness));
      participation.answered++;
    } catch (error) {
      const reason = error instanceof InvalidUpdateError ? error.reason : error instanceof StrataError ? 'malformed' : 'error';
      reject(reason, error as Error);
    }
  }

  private async evaluate(job: EdgeRoundJob, model: ModelParams, version: number): Promise<EdgeEvaluateResult> {
    const participation = emptyParticipation();
    const devices = this.options.server.peers();
    this.downlink.advance(model, version, `v${version}`);
    const header: RoundRequestHeader = { roundId: job.roundId, round: job.round, kind: 'evaluate', localSteps: 0, options: job.options };
    const answers = await this.collect(
      devices,
      this.downlink.frames(header),
      1,
      this.iterationDeadline(job),
      participation,
      0,
      undefined,
      (decoded, peer) =>
        checkEvaluationAnswer(decoded, {
          roundId: job.roundId,
          baseVersion: version,
          sender: peer.info.nodeId,
          ...(job.limits ? { limits: job.limits } : {}),
        }),
    );
    const sums: Record<string, number> = {};
    let count = 0;
    for (const answer of answers) {
      count += answer.count;
      for (const [key, value] of Object.entries(answer.sums)) sums[key] = (sums[key] ?? 0) + value;
    }
    return { count, sums, participation };
  }

  /**
   * Sends `frames` to `devices`, waits for the quorum or the deadline, and returns the answers `check` accepts,
   * in device order. An answer it refuses (InvalidUpdateError), or that does not decode, is rejected with a
   * counted reason; nothing else is affected by it.
   */
  private async collect<T>(
    devices: readonly PeerConnection[],
    frames: DownlinkFrames,
    quorum: number,
    deadlineSeconds: number,
    participation: EdgeParticipation,
    iteration: number,
    timer: PhaseTimer | undefined,
    check: (decoded: DecodedUpdate & { sender: string }, peer: PeerConnection) => T,
  ): Promise<T[]> {
    const deadlineMs = deadlineSeconds * 1000;
    const gathered = await gatherQuorum(
      this.observeReplies(
        devices,
        devices.map((d) => this.requestWithModel(d, frames, deadlineMs, participation)),
        iteration,
      ),
      quorumSize(devices.length, quorum),
      deadlineMs,
      this.options.clock,
    );
    timer?.lap('exchange');
    participation.selected += devices.length;
    participation.dropped += gathered.late;
    const reject = (deviceId: string, reason: string, error: Error): void => {
      countReason(participation.rejected, reason);
      this.options.onReject?.(reason, deviceId);
      this.options.logger.warn({ deviceId, reason, error: error.message }, 'device update rejected');
    };
    const accepted: T[] = [];
    for (const { index, value } of gathered.answers) {
      participation.bytesUp += value.byteLength;
      const deviceId = devices[index].info.nodeId;
      try {
        accepted.push(check(decodeUpdateReply(value, this.replyLimit), devices[index]));
        participation.answered++;
      } catch (error) {
        const reason = error instanceof InvalidUpdateError ? error.reason : error instanceof StrataError ? 'malformed' : 'error';
        reject(deviceId, reason, error as Error);
      }
    }
    for (const { index, error } of gathered.failed) {
      const deviceId = devices[index].info.nodeId;
      // A reply the link could not read (a broken chunked transfer, a malformed reply packet) is the
      // device's bad answer, not a lost device.
      if (error instanceof WireFormatError) {
        reject(deviceId, 'malformed', error);
        continue;
      }
      // Its request timed out at the deadline that closed the iteration: a straggler, like an answer too late.
      if (error instanceof RoundTimeoutError) {
        participation.dropped++;
        continue;
      }
      participation.failed++;
      this.options.logger.warn({ deviceId, error: error.message }, 'device request failed');
    }
    timer?.lap('validate');
    return accepted;
  }

  /**
   * Sends `device` its frame (patches to the model it holds, or the whole model) and returns its answer; a
   * device that answers Resync (its model is missing or wrong) is sent the whole model once more.
   */
  private async requestWithModel(
    device: PeerConnection,
    frames: DownlinkFrames,
    deadlineMs: number,
    participation: EdgeParticipation,
  ): Promise<Uint8Array> {
    const deviceId = device.info.nodeId;
    const { frame, full } = frames.frameFor(deviceId);
    participation.bytesDown += frame.byteLength;
    try {
      let reply = await device.request(frame, deadlineMs);
      if (!full && isResync(reply)) {
        participation.bytesControl += reply.byteLength;
        const whole = frames.fullFrame();
        participation.bytesDown += whole.byteLength;
        reply = await device.request(whole, deadlineMs);
      }
      this.downlink.delivered(deviceId, frames.checksum);
      return reply;
    } catch (error) {
      this.downlink.forget(deviceId);
      throw error;
    }
  }

  /** The requests, each telling the observer when it settles (progress within an iteration). */
  private observeReplies(devices: readonly PeerConnection[], requests: Promise<Uint8Array>[], iteration: number): Promise<Uint8Array>[] {
    const observer = this.options.observer;
    const job = this.current;
    if (!job || (!observer?.requestsSent && !observer?.deviceReplied)) return requests;
    observer.requestsSent?.(
      job,
      iteration,
      devices.map((d) => d.info.nodeId),
    );
    if (!observer.deviceReplied) return requests;
    return requests.map((request, i) =>
      request.then(
        (reply) => {
          observer.deviceReplied?.(job, devices[i].info.nodeId, true);
          return reply;
        },
        (error: unknown) => {
          observer.deviceReplied?.(job, devices[i].info.nodeId, false);
          throw error;
        },
      ),
    );
  }
}

/** The job's norm clipping of device updates (norm-clipping.ts), counted in the participation's `clipped`. */
function clipCounted(updates: readonly ModelUpdate[], job: EdgeRoundJob, participation: EdgeParticipation): ModelUpdate[] {
  const { updates: kept, clipped, scaledTables } = clipToMedianNorm(updates, job.clipFactor ?? 0, job.updateClipFactor ?? 0);
  if (clipped > 0) countReason(participation.clipped, 'norm', clipped);
  if (scaledTables > 0) countReason(participation.clipped, 'update_norm', scaledTables);
  return kept;
}
