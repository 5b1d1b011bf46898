// The cloud coordinator: owns the global model and its versions, runs cloud rounds as flows (a parent job
// with one `edge-round` child per region), aggregates the edges' updates with the configured strategy and
// server optimizer, and evaluates the global model (centrally when the task can, else on the devices).
// Its version, last round, flow in flight and round records go to a StateStore at each step, and what its
// strategy and task keep between rounds to a blob beside each version's model, so a coordinator started on the
// same store resumes: same model version and server state, and the same flow if one was in flight.

import { randomUUID } from 'node:crypto';
import {
  DEFAULT_UPDATE_DEFENCES,
  type UpdateDefences,
  CLOUD_QUEUE,
  ConfigError,
  StrataError,
  systemClock,
  compareIds,
  decodeModelBlob,
  decodeUpdateReply,
  encodeModelBlob,
  modelBlobKey,
  downlinkSchema,
  serverStateBlobKey,
  type KeepsServerState,
  type ServerStatePart,
  regionQueue,
  validateUpdate,
  checkEdgeUpdate,
  InvalidUpdateError,
  PhaseTimer,
  countReason,
  emptyHierarchyBytes,
  evaluationRecord,
  tierRecord,
  parseJobPayload,
  edgeRoundResultSchema,
  edgeEvaluateResultSchema,
  type HierarchyBytes,
  type BlobStore,
  type ChildOutcome,
  type Clock,
  type EdgeEvaluateResult,
  type Downlink,
  type EntropyCoding,
  type EdgeRoundJob,
  type EdgeRoundResult,
  type FederatedTask,
  type HierFavgSchedule,
  type JobQueue,
  type Logger,
  type ModelParams,
  type ModelUpdate,
  type PhaseSeconds,
  type RoundRecord,
  type Strategy,
  type CoordinatorState,
  type FlowInFlight,
  type StateStore,
  type TaskLimits,
  type PrivacyConfig,
  type CryptoRandom,
  privacyConflict,
  secureAggregationConflict,
  type SecureAggregationConfig,
  DEFAULT_PRIVACY,
  DEFAULT_SECURE_AGGREGATION,
  asyncConflict,
  stalenessSummary,
  type StalenessSummary,
  AsyncAggregator,
  type BufferedEdgeUpdate,
  type CloudAsyncState,
  type EdgeJobInFlight,
} from '@strata/shared';
import { InMemoryStateStore } from '@strata/runtime';
import { CentralPrivacy, type Release, type RoundPrivacy } from './central-privacy.js';
import { EdgeJobChains } from './edge-job-chains.js';
import { EdgeModelPublisher } from './edge-model-publisher.js';
import { type CloudParticipation, RoundTally } from './round-tally.js';

export interface CoordinatorOptions {
  readonly task: FederatedTask;
  readonly strategy: Strategy;
  readonly queue: JobQueue;
  readonly blobs: BlobStore;
  readonly regions: readonly string[];
  readonly schedule: HierFavgSchedule;
  /** Options sent to every device (task defaults, overridden by the run's options). */
  readonly taskOptions: Record<string, number>;
  readonly seed: number;
  readonly logger: Logger;
  /** Times the round deadline (default: the system clock; the simulator passes a virtual one). */
  readonly clock?: Clock;
  /** Largest edge update blob accepted. */
  readonly maxUpdateBytes?: number;
  /**
   * Where the durable state goes (default: in memory, which survives nothing: then the strategy's and the
   * task's server state are not saved either, as nothing can resume from them).
   */
  readonly state?: StateStore;
  /**
   * Identifies the run configuration; state written under another hash is refused at start (default '':
   * the embedded runtime never resumes).
   */
  readonly configHash?: string;
  /** The configuration the hash is of, kept with the state so that a refusal names the fields that changed. */
  readonly config?: Readonly<Record<string, unknown>>;
  /**
   * Aborting it makes a round or evaluation waiting for its flow throw instead of aggregating: the flow stays
   * in flight in the state, for the next coordinator to wait for (graceful shutdown).
   */
  readonly signal?: AbortSignal;
  /**
   * Norm clipping (edges scale each update's sparse tables to updateClipFactor times the iteration's median
   * update scale, then clip each row and dense tensor to clipFactor times the median norm; 0: off)
   * and maxFailedRounds: a round without an accepted update is a failed round (its record says so), and a
   * run whose rounds keep failing stops with an error instead of "finishing" with an unchanged model.
   * Default DEFAULT_UPDATE_DEFENCES.
   */
  readonly defences?: UpdateDefences;
  /** User-level DP (central DP-FedAvg): edges clip and sum, the coordinator noises; off when absent. */
  readonly privacy?: PrivacyConfig;
  /** The noise generator (default: keyed from the platform's entropy; seeded only in tests). */
  readonly privacyRandom?: CryptoRandom;
  /** Secure aggregation at the edges (SecAgg+): each edge learns only its devices' sum; off when absent. */
  readonly secureAggregation?: SecureAggregationConfig;
  /**
   * The run's downlink, sent to the edges in every job (the daemon's, checked against its task); absent: each
   * edge sends models down as it is configured (the embedded runtime and the simulator configure their edges).
   */
  readonly downlink?: Downlink;
  /**
   * The entropy stage over the model blobs edges read (default: the downlink's, else brotli); the embedded
   * runtime, which configures its edges' downlink itself, sets it from that.
   */
  readonly modelBlobEntropy?: EntropyCoding;
  /** Told when the coordinator finds its model blob gone from the blob store and publishes it again. */
  readonly onModelRepublished?: (version: number) => void;
}

export interface RoundOutcome {
  round: number;
  /** The model version this round produced. */
  version: number;
  wallSeconds: number;
  bytes: HierarchyBytes;
  /** Training metrics (loss: mean over the samples trained on). */
  metrics: Record<string, number>;
  participation: CloudParticipation;
  /** Seconds spent decoding, validating and aggregating the edges' updates and publishing the model. */
  aggregationSeconds: number;
  /**
   * Where the round's time went, seconds by phase: the coordinator's (`flow` adding the flow and waiting for
   * the edges, `fetch` reading their update blobs, `validate` decoding and checking them, `aggregate`,
   * `publish` encoding and storing the new model, `commit` the state) and, as `edge.<phase>`, the edges'
   * (EDGE_PHASES, summed over the edges that reported them).
   */
  timings: PhaseSeconds;
  /** The flow was added by an earlier coordinator, which stopped while waiting for it. */
  resumed: boolean;
  /** No update was accepted: the model is unchanged (see maxFailedRounds). */
  failed: boolean;
  /** DP on: ε spent so far and the round's sampling rate, noise and denominator. */
  privacy?: RoundPrivacy;
  /** The round was not released (the model is unchanged) because it would pass the target ε: why. */
  stopped?: string;
}

export interface EvaluationOutcome {
  metrics: Record<string, number>;
  bytes: HierarchyBytes;
}

export class Coordinator {
  private model: ModelParams | undefined;
  private versionNumber = 0;
  private readonly store: StateStore;
  private state: CoordinatorState | undefined;
  private records = new Map<number, RoundRecord>();
  private failedInARow = 0;
  private readonly privacy: CentralPrivacy | undefined;
  /** The last round's sampling rate under DP, the estimate privacyStop() plans the next round with. */
  private lastSamplingRate: number | undefined;

  /** What edges check device answers against: the task's limits at this run's κ1. */
  private readonly limits: TaskLimits | undefined;
  /** Asynchronous cloud: the per-region jobs waited for, and the aggregator (built at the first round). */
  private readonly chains: EdgeJobChains;
  private aggregator: AsyncAggregator | undefined;
  /** What edges read of each version: the model they hold (a replica under the run's downlink) and the patch to it. */
  private readonly edgeModels: EdgeModelPublisher;

  constructor(private readonly options: CoordinatorOptions) {
    this.store = options.state ?? new InMemoryStateStore();
    // Without a run downlink the edges use their own, downlinkSchema's default in every runtime that omits it.
    this.edgeModels = new EdgeModelPublisher(options.downlink ?? downlinkSchema.parse({}), options.blobs, options.logger);
    this.limits = options.task.limits?.(options.schedule.kappa1);
    this.chains = new EdgeJobChains(options.queue, options.clock ?? systemClock);
    const cloudConflict = asyncConflict(options.schedule.cloud.mode, options.strategy.name, options.privacy?.mode ?? 'off', 'cloud');
    if (cloudConflict) throw new ConfigError(cloudConflict);
    if (
      (options.task.afterRound || options.task.beforeApply) &&
      (options.schedule.cloud.mode !== 'sync' || options.schedule.mode !== 'sync')
    ) {
      // The task rebuilds the model's layout between rounds (the Gaussians' scaffold): an update computed on an
      // older layout, which asynchronous tiers take, would land on rows that now hold other Gaussians.
      throw new ConfigError(
        `task ${options.task.id} changes its model's layout between rounds and needs synchronous rounds: use --schedule sync and --cloud-schedule sync`,
      );
    }
    if (options.privacy && options.privacy.mode !== 'off') {
      const conflict = privacyConflict(options.privacy, options.schedule.kappa2);
      if (conflict) throw new ConfigError(conflict);
      const asynchronous = asyncConflict(options.schedule.mode, 'fedavg', options.privacy.mode);
      if (asynchronous) throw new ConfigError(asynchronous);
      this.privacy = new CentralPrivacy(options.privacy, options.privacyRandom);
    }
    const secure = secureAggregationConflict(
      options.secureAggregation ?? DEFAULT_SECURE_AGGREGATION,
      'fedavg',
      options.privacy ?? DEFAULT_PRIVACY,
    );
    if (secure) throw new ConfigError(secure);
    if (options.secureAggregation?.enabled) {
      if (options.schedule.mode !== 'sync') {
        throw new ConfigError(
          `--secure-aggregation needs a synchronous cohort (its masks cancel only in the sum of one session): it cannot run with --schedule ${options.schedule.mode}`,
        );
      }
      if (!this.limits) {
        throw new ConfigError(`task ${options.task.id} declares no limits: secure aggregation needs its weight cap (maxDeviceWeight)`);
      }
    }
    if (!this.limits) {
      options.logger.warn({ task: options.task.id }, 'the task declares no limits: edges check device answers structurally only');
    }
  }

  get version(): number {
    return this.versionNumber;
  }

  /** The last round whose aggregation is committed (0 before the first); a resumed run continues after it. */
  get round(): number {
    return this.state?.round ?? 0;
  }

  /** The flow an earlier coordinator left in flight, if any: the next runRound/evaluate of its round waits for it. */
  get flowInFlight(): FlowInFlight | undefined {
    return this.state?.flow;
  }

  /** The current global model (do not mutate). */
  get globalModel(): ModelParams {
    if (!this.model) throw new StrataError('STRATA_ERR_NOT_STARTED', 'coordinator not started: call start() first');
    return this.model;
  }

  /** The committed record of `round` (with its evaluation once evaluated), if that round ran. */
  roundRecord(round: number): RoundRecord | undefined {
    return this.records.get(round);
  }

  /** Every committed round's record (training figures, and evaluation metrics once evaluated). */
  roundRecords(): RoundRecord[] {
    return [...this.records.values()].sort((a, b) => a.round - b.round);
  }

  /**
   * Resumes from the state store when it holds state (the model of its version, read from the blob store),
   * else initialises the global model (version 0) and publishes it.
   */
  async start(): Promise<void> {
    const configHash = this.options.configHash ?? '';
    const saved = await this.store.load();
    if (saved) {
      if (saved.configHash !== configHash) {
        const changed = saved.config && this.options.config ? changedFields(saved.config, this.options.config) : [];
        const what = changed.length > 0 ? changed.slice(0, 3).join('; ') : `configuration hash ${saved.configHash}, this run ${configHash}`;
        throw new ConfigError(
          `the saved run state was written by a run with another configuration (${what}): ` +
            'pass --reset to forget it and start a new run, or start with the configuration it was written with',
        );
      }
      const blob = await this.options.blobs.get(modelBlobKey(saved.version));
      if (!blob)
        throw new StrataError(
          'STRATA_ERR_MISSING_BLOB',
          `cannot resume: model blob ${modelBlobKey(saved.version)} of version ${saved.version} is missing`,
        );
      const { model, version } = decodeModelBlob(blob);
      if (version !== saved.version)
        throw new StrataError('STRATA_ERR_BAD_BLOB', `model blob of version ${saved.version} holds version ${version}`);
      this.model = model;
      this.versionNumber = version;
      await this.edgeModels.resume(model, version);
      await this.restoreServerState(version);
      this.state = saved;
      this.records = new Map((await this.store.rounds()).map((r) => [r.round, r]));
      this.privacy?.replay(this.roundRecords());
      this.options.logger.info({ version, round: saved.round, flow: saved.flow }, 'coordinator resumed');
      return;
    }
    this.model = this.options.task.initModel();
    this.versionNumber = 0;
    await this.publish();
    await this.commit({
      configHash,
      ...(this.options.config ? { config: this.options.config } : {}),
      version: 0,
      round: 0,
      ...(this.options.schedule.cloud.mode === 'sync' ? {} : { cloudAsync: { jobs: [], buffer: [], issued: 0 } }),
    });
  }

  /** ε spent so far (undefined with DP off). */
  get epsilon(): number | undefined {
    return this.privacy?.epsilon;
  }

  /**
   * DP with a target ε: why the next round must not run (planned at the last round's sampling rate, or the
   * schedule's fraction), else null. Runners ask before each round; runRound refuses a release past it too.
   */
  privacyStop(): string | null {
    return this.privacy?.stopBefore(this.lastSamplingRate ?? this.options.schedule.fraction) ?? null;
  }

  /**
   * Runs one cloud round. Synchronous cloud: the flow, the edges' κ2 iterations, the global aggregation.
   * Asynchronous cloud (schedule.cloud): edge results as they come, until one server step (one new version).
   */
  async runRound(round: number): Promise<RoundOutcome> {
    return this.options.schedule.cloud.mode === 'sync' ? this.runSyncRound(round) : this.runAsyncRound(round);
  }

  private async runSyncRound(round: number): Promise<RoundOutcome> {
    const roundId = `r${round}-v${this.versionNumber}`;
    const timer = new PhaseTimer();
    const { outcomes, flow, resumed } = await this.runFlow('edge-round', roundId, round);
    timer.lap('flow');
    const aggregationStarted = performance.now();
    const tally = new RoundTally(this.options.regions.length);
    const updates: ModelUpdate[] = [];
    for (const outcome of outcomes) {
      const read = await this.readEdgeResult(outcome, roundId, tally, timer);
      if (read) updates.push(read.update);
    }
    timer.lap('validate');
    let release: Release | undefined;
    if (updates.length > 0) release = this.combine(updates, tally);
    if (release && 'combined' in release) {
      this.options.task.beforeApply?.(release.combined, round, this.globalModel);
      this.options.strategy.apply(this.globalModel, release.combined);
      this.options.task.afterRound?.(this.globalModel, round);
      this.versionNumber++;
      timer.lap('aggregate');
      await this.publish();
      timer.lap('publish');
    } else if (release) {
      this.options.logger.info({ roundId }, release.stop);
    }
    return this.finishRound(round, tally, timer, {
      failed: updates.length === 0,
      startedAt: flow.startedAt,
      aggregationSeconds: (performance.now() - aggregationStarted) / 1000,
      resumed,
      release,
      state: { ...this.currentState(), version: this.versionNumber, round, flow: undefined },
    });
  }

  /**
   * One round of an asynchronous cloud: every region without a job gets one on the newest model; each result
   * that comes in is checked (its update must be based on the version its job named), refused past the
   * staleness bound, and offered to the aggregator; the region gets its next job at once. The round ends at
   * the step (FedBuff: every bufferSize results; FedAsync: each), or at the round deadline with what the
   * buffer holds (a failed round if nothing). Jobs and buffer are in the state after each result, so a
   * restarted coordinator waits for the same jobs and steps with the same buffer.
   */
  private async runAsyncRound(round: number): Promise<RoundOutcome> {
    const { schedule, logger } = this.options;
    const clock = this.options.clock ?? systemClock;
    const timer = new PhaseTimer();
    const startedAt = Date.now();
    const deadline = clock.now() + schedule.roundDeadlineSeconds * 1000;
    // A step takes K edge results (FedBuff) or one (FedAsync).
    const tally = new RoundTally(schedule.cloud.mode === 'fedbuff' ? schedule.cloud.bufferSize : 1);
    await this.ensureModelPublished();
    const aggregator = await this.cloudAggregator();
    const resumed = this.cloudState().jobs.some((job) => !this.chains.has(job));
    await this.issueEdgeJobs();
    timer.lap('flow');
    let aggregationSeconds = 0;
    let stepped = false;
    /** The versions the collected jobs named, and the one the round started from: blobs to drop once unused. */
    const versionsDone = [this.versionNumber];
    let stepper: EdgeJobInFlight | undefined;
    while (!stepped) {
      const finished = await this.chains.next(this.cloudState().jobs, deadline, this.options.signal);
      timer.lap('flow');
      if (!finished) break;
      const aggregationStarted = performance.now();
      const { job, outcome } = finished;
      this.chains.forget(job);
      versionsDone.push(job.version);
      const cloud = this.cloudState();
      let buffer = cloud.buffer;
      const read = await this.readEdgeResult(outcome, job.roundId, tally, timer);
      if (read) {
        try {
          if (read.roundId !== job.roundId || read.baseVersion !== job.version) {
            throw new InvalidUpdateError(
              'stale',
              `edge update says it answers ${read.roundId} on version ${read.baseVersion}, but the job was ${job.roundId} on version ${job.version}`,
            );
          }
          const accepted = aggregator.offer(read.update, job.version);
          countReason(tally.cloudStaleness, String(accepted.staleness));
          tally.participation.edgesAnswered++;
          stepped = accepted.stepped;
          buffer = stepped ? [] : [...buffer, { region: job.region, roundId: job.roundId, blobKey: read.blobKey, version: job.version }];
        } catch (error) {
          if (!(error instanceof InvalidUpdateError)) throw error;
          tally.reject(error.reason);
          logger.warn({ roundId: job.roundId, reason: error.reason, error: error.message }, 'edge update rejected');
        }
      }
      timer.lap('aggregate');
      if (stepped) {
        this.versionNumber = aggregator.version;
        await this.publish();
        timer.lap('publish');
      }
      aggregationSeconds += (performance.now() - aggregationStarted) / 1000;
      if (stepped) {
        stepper = job;
        break;
      }
      // The region's next job goes out on the version now, saved with the result that freed it.
      const next = this.nextEdgeJob(job.region);
      await this.commit({
        ...this.currentState(),
        cloudAsync: { jobs: [...cloud.jobs.filter((j) => j.flowId !== job.flowId), next], buffer, issued: cloud.issued + 1 },
      });
      await this.chains.add(next, this.edgeJob(next.roundId, cloud.issued + 1, next.version, next.deadline));
      timer.lap('commit');
    }
    if (!stepped && aggregator.flush()) {
      stepped = true;
      this.versionNumber = aggregator.version;
      await this.publish();
      timer.lap('publish');
    }
    const cloud = this.cloudState();
    const outcome = await this.finishRound(round, tally, timer, {
      failed: !stepped,
      startedAt,
      aggregationSeconds,
      resumed,
      state: {
        ...this.currentState(),
        version: this.versionNumber,
        round,
        cloudAsync: { ...cloud, jobs: cloud.jobs.filter((job) => job.flowId !== stepper?.flowId), buffer: [] },
      },
      // The blobs of the step's buffered updates too: a resumed buffer's results were collected before.
      blobKeys: cloud.buffer.map((b) => b.blobKey),
    });
    await this.releaseModelBlobs(versionsDone);
    return outcome;
  }

  /** The common end of a round: counts, the record, the commit, the collected blobs deleted, the failed-round stop. */
  private async finishRound(
    round: number,
    tally: RoundTally,
    timer: PhaseTimer,
    end: {
      failed: boolean;
      startedAt: number;
      aggregationSeconds: number;
      resumed: boolean;
      release?: Release;
      state: CoordinatorState;
      blobKeys?: readonly string[];
    },
  ): Promise<RoundOutcome> {
    const { logger } = this.options;
    const { participation } = tally;
    const { failed, release } = end;
    if (failed) logger.warn({ round, participation }, 'round failed: no update was accepted, the global model is unchanged');
    this.failedInARow = failed ? this.failedInARow + 1 : 0;
    const samples = tally.metricSums.samples ?? 0;
    const metrics: Record<string, number> = {};
    if (tally.metricSums.loss !== undefined && samples > 0) metrics.loss = tally.metricSums.loss / samples;
    const wallSeconds = (Date.now() - end.startedAt) / 1000;
    const outcome: RoundOutcome = {
      round,
      version: this.versionNumber,
      wallSeconds,
      bytes: tally.bytes,
      metrics,
      participation: {
        ...participation,
        ...(Object.keys(tally.cloudStaleness).length > 0 ? { cloudStaleness: tally.cloudStaleness } : {}),
      },
      aggregationSeconds: end.aggregationSeconds,
      resumed: end.resumed,
      timings: timer.seconds,
      failed,
      ...(release && 'combined' in release && release.privacy ? { privacy: release.privacy } : {}),
      ...(release && 'stop' in release ? { stopped: release.stop } : {}),
    };
    await this.commit(end.state, roundRecord(outcome));
    // Only once the new version is committed: a coordinator that dies before this point aggregates them again.
    for (const key of new Set([...tally.blobKeys, ...(end.blobKeys ?? [])])) await this.options.blobs.delete(key);
    timer.lap('commit');
    logger.info({ round, version: this.versionNumber, wallSeconds, participation }, 'cloud round done');
    const maxFailed = (this.options.defences ?? DEFAULT_UPDATE_DEFENCES).maxFailedRounds;
    if (this.failedInARow >= maxFailed) {
      throw new StrataError(
        'STRATA_ERR_ROUNDS_FAILED',
        `${this.failedInARow} rounds in a row accepted no update (the last, round ${round}: ${participation.edgesAnswered} of ${participation.edgesExpected} edges answered, devices answered ${participation.answered} of ${participation.selected}): stopping the run`,
      );
    }
    return outcome;
  }

  /**
   * Reads one edge's answer to a job of `roundId` into `tally` (participation, bytes, metrics, timings) and
   * returns its update, decoded and checked against the global model, with what the blob says it answers;
   * undefined (counted as rejected where the edge sent something wrong) when there is none to aggregate.
   */
  private async readEdgeResult(
    outcome: ChildOutcome,
    roundId: string,
    tally: RoundTally,
    timer: PhaseTimer,
  ): Promise<{ update: ModelUpdate; blobKey: string; roundId: string; baseVersion: number } | undefined> {
    const { logger } = this.options;
    if (outcome.state !== 'completed' || !outcome.result) {
      logger.warn({ roundId, queue: outcome.queue, state: outcome.state, error: outcome.error }, 'edge did not complete');
      return undefined;
    }
    let result: EdgeRoundResult;
    try {
      result = parseJobPayload(edgeRoundResultSchema, outcome.result, `edge-round result of ${outcome.queue}`);
    } catch (error) {
      tally.reject('malformed');
      logger.warn({ roundId, queue: outcome.queue, error: (error as Error).message }, 'edge result rejected');
      return undefined;
    }
    tally.add(result, timer);
    if (!result.blobKey) return undefined;
    const blobKey = result.blobKey;
    tally.blobKeys.push(blobKey);
    timer.lap('validate');
    const blob = await this.options.blobs.get(blobKey);
    timer.lap('fetch');
    if (!blob) {
      tally.reject('missing');
      logger.warn({ roundId, blobKey }, 'edge update blob missing');
      return undefined;
    }
    tally.bytes.edgeCloudUp += blob.byteLength;
    try {
      const decoded = decodeUpdateReply(blob, this.options.maxUpdateBytes);
      validateUpdate(decoded.update, this.globalModel);
      checkEdgeUpdate(decoded.update, result.participation.answered, this.limits);
      this.options.task.checkUpdate?.(decoded.update, this.globalModel, 'edge');
      if (this.options.schedule.cloud.mode === 'sync') tally.participation.edgesAnswered++;
      return { update: decoded.update, blobKey, roundId: decoded.roundId, baseVersion: decoded.baseVersion };
    } catch (error) {
      const reason = error instanceof InvalidUpdateError ? error.reason : 'malformed';
      tally.reject(reason);
      logger.warn({ roundId, blobKey, reason, error: (error as Error).message }, 'edge update rejected');
      return undefined;
    }
  }

  /**
   * Evaluates the current global model, centrally when the task can, else on every connected device, and
   * adds the metrics to the record of `round`.
   */
  async evaluate(round: number): Promise<EvaluationOutcome> {
    const started = performance.now();
    const bytes = emptyHierarchyBytes();
    let control = 0;
    let metrics: Record<string, number> = {};
    if (this.options.task.evaluate) {
      metrics = await this.options.task.evaluate(this.globalModel);
    } else {
      const { outcomes } = await this.runFlow('edge-evaluate', `e${round}-v${this.versionNumber}`, round);
      let count = 0;
      const sums: Record<string, number> = {};
      for (const outcome of outcomes) {
        if (outcome.state !== 'completed' || !outcome.result) continue;
        let result: EdgeEvaluateResult;
        try {
          result = parseJobPayload(edgeEvaluateResultSchema, outcome.result, `edge-evaluate result of ${outcome.queue}`);
        } catch (error) {
          this.options.logger.warn({ round, queue: outcome.queue, error: (error as Error).message }, 'edge evaluation rejected');
          continue;
        }
        count += result.count;
        control += result.participation.bytesControl;
        bytes.deviceEdgeDown += result.participation.bytesDown;
        bytes.deviceEdgeUp += result.participation.bytesUp;
        bytes.edgeCloudDown += result.participation.bytesFetched;
        for (const [key, value] of Object.entries(result.sums)) sums[key] = (sums[key] ?? 0) + value;
      }
      if (count > 0) for (const [key, value] of Object.entries(sums)) metrics[key] = value / count;
    }
    const record = this.records.get(round);
    const evaluated: RoundRecord | undefined = record && {
      ...record,
      wallSeconds: record.wallSeconds + (performance.now() - started) / 1000,
      bytes: { ...record.bytes, ...evaluationRecord(bytes), control: (record.bytes.control ?? 0) + control },
      metrics: { ...record.metrics, ...metrics },
      evaluation: metrics,
      evaluated: true,
    };
    await this.commit({ ...this.currentState(), flow: undefined }, evaluated);
    return { metrics, bytes };
  }

  /** The round's combined update: the strategy's, or under DP the noised fixed-denominator mean (or a stop). */
  private combine(updates: ModelUpdate[], tally: RoundTally): Release {
    if (!this.privacy) return { combined: this.options.strategy.aggregate(updates) };
    const { participation, samplingRate } = tally;
    this.lastSamplingRate = samplingRate;
    return this.privacy.release(updates, participation.selected, samplingRate, {
      within: participation.dpWithinClip ?? 0,
      clipped: participation.clipped.dp_norm ?? 0,
    });
  }

  /** Adds the flow of `roundId` (or finds the one an earlier coordinator left in flight) and waits for it. */
  private async runFlow(
    kind: FlowInFlight['kind'],
    roundId: string,
    round: number,
  ): Promise<{ outcomes: ChildOutcome[]; flow: FlowInFlight; resumed: boolean }> {
    const { schedule, regions, queue } = this.options;
    const clock = this.options.clock ?? systemClock;
    const previous = this.state?.flow;
    const resumed = previous?.kind === kind && previous.roundId === roundId;
    let flow: FlowInFlight;
    if (resumed) {
      flow = previous;
      this.options.logger.info({ roundId, flowId: flow.flowId }, 'waiting for the flow an earlier coordinator added');
    } else {
      await this.ensureModelPublished();
      // The flow is saved before it is added: a coordinator killed between the two leaves its successor the
      // ids to add it under, and adding a flow whose ids exist adds nothing, so the round runs once.
      flow = {
        kind,
        round,
        roundId,
        flowId: `${roundId}-${randomUUID()}`,
        deadline: clock.now() + schedule.roundDeadlineSeconds * 1000,
        startedAt: Date.now(),
      };
      await this.commit({ ...this.currentState(), flow });
    }
    const job = this.edgeJob(roundId, round, this.versionNumber, flow.deadline);
    const parentId = await queue.addFlow(
      { queue: CLOUD_QUEUE, name: kind === 'edge-round' ? 'cloud-round' : 'cloud-evaluate', data: { roundId, round }, id: flow.flowId },
      regions.map((region, i) => ({ queue: regionQueue(region), name: kind, data: { ...job }, id: `${flow.flowId}-${i}` })),
    );
    const outcomes = await queue.waitForFlow(parentId, flow.deadline);
    this.options.signal?.throwIfAborted();
    // Regions in a fixed order, whatever order the queue lists them in: the same seed gives the same model.
    outcomes.sort((a, b) => compareIds(a.queue, b.queue));
    return { outcomes, flow, resumed };
  }

  /** The job an edge gets for one edge round (or evaluation) on the model of `version`. */
  private edgeJob(roundId: string, round: number, version: number, deadline: number): EdgeRoundJob {
    const { schedule } = this.options;
    const defences = this.options.defences ?? DEFAULT_UPDATE_DEFENCES;
    return {
      roundId,
      round,
      version,
      ...this.edgeModels.jobModel(version),
      schedule: {
        kappa1: schedule.kappa1,
        kappa2: schedule.kappa2,
        fraction: schedule.fraction,
        quorum: schedule.quorum,
        edgeDeadlineSeconds: schedule.edgeDeadlineSeconds,
      },
      ...(schedule.mode === 'sync'
        ? {}
        : {
            asyncSchedule: {
              mode: schedule.mode,
              bufferSize: schedule.bufferSize,
              maxStaleness: schedule.maxStaleness,
              stalenessExponent: schedule.stalenessExponent,
              mixing: schedule.mixing,
            },
          }),
      options: { ...this.options.taskOptions, ...this.options.strategy.clientOptions() },
      seed: this.options.seed,
      deadline,
      ...(this.limits ? { limits: this.limits } : {}),
      clipFactor: defences.clipFactor,
      updateClipFactor: defences.updateClipFactor,
      ...(this.privacy ? { privacy: this.privacy.edgeJobPrivacy() } : {}),
      ...(this.options.secureAggregation?.enabled ? { secureAggregation: secureJobSettings(this.options.secureAggregation) } : {}),
      ...(this.options.downlink ? { downlink: this.options.downlink } : {}),
    };
  }

  private cloudState(): CloudAsyncState {
    const cloud = this.currentState().cloudAsync;
    if (!cloud)
      throw new StrataError('STRATA_ERR_STATE', 'the saved state has no asynchronous cloud jobs: was it written by a synchronous run?');
    return cloud;
  }

  /**
   * The asynchronous cloud's aggregator on the global model, built once; a resumed coordinator offers it the
   * buffer its predecessor saved (same versions, so the same staleness weights).
   */
  private async cloudAggregator(): Promise<AsyncAggregator> {
    if (this.aggregator) return this.aggregator;
    const aggregator = new AsyncAggregator({
      model: this.globalModel,
      strategy: this.options.strategy,
      schedule: this.options.schedule.cloud,
      version: this.versionNumber,
    });
    const kept: BufferedEdgeUpdate[] = [];
    for (const buffered of this.cloudState().buffer) {
      const blob = await this.options.blobs.get(buffered.blobKey);
      if (!blob) {
        this.options.logger.warn({ roundId: buffered.roundId, blobKey: buffered.blobKey }, 'buffered edge update blob missing: dropped');
        continue;
      }
      aggregator.offer(decodeUpdateReply(blob, this.options.maxUpdateBytes).update, buffered.version);
      kept.push(buffered);
    }
    if (kept.length !== this.cloudState().buffer.length) {
      await this.commit({ ...this.currentState(), cloudAsync: { ...this.cloudState(), buffer: kept } });
    }
    this.aggregator = aggregator;
    return aggregator;
  }

  /** A new job for `region` on the version now (not yet saved or added). */
  private nextEdgeJob(region: string): EdgeJobInFlight {
    const clock = this.options.clock ?? systemClock;
    const { issued } = this.cloudState();
    const roundId = `j${issued + 1}-v${this.versionNumber}-${region}`;
    return {
      region,
      round: issued + 1,
      roundId,
      version: this.versionNumber,
      flowId: `${roundId}-${randomUUID()}`,
      deadline: clock.now() + this.options.schedule.roundDeadlineSeconds * 1000,
      startedAt: Date.now(),
    };
  }

  /**
   * Gives every region without a job one on the version now, and adds again (adding nothing if they exist)
   * the jobs a predecessor saved, so that this coordinator waits for them. Regions in a fixed order.
   */
  private async issueEdgeJobs(): Promise<void> {
    const busy = new Set(this.cloudState().jobs.map((job) => job.region));
    const idle = [...this.options.regions].sort(compareIds).filter((region) => !busy.has(region));
    for (const region of idle) {
      const cloud = this.cloudState();
      const job = this.nextEdgeJob(region);
      await this.commit({ ...this.currentState(), cloudAsync: { ...cloud, jobs: [...cloud.jobs, job], issued: cloud.issued + 1 } });
    }
    for (const job of this.cloudState().jobs) {
      if (!this.chains.has(job)) await this.chains.add(job, this.edgeJob(job.roundId, job.round, job.version, job.deadline));
    }
  }

  /**
   * Asynchronous cloud: deletes the model blobs of `versions` (those jobs named, or the round started from)
   * that neither the version now nor a job in flight still needs.
   */
  private async releaseModelBlobs(versions: readonly number[]): Promise<void> {
    const needed = new Set([this.versionNumber, ...this.cloudState().jobs.map((job) => job.version)]);
    for (const version of new Set(versions)) {
      if (needed.has(version)) continue;
      await this.options.blobs.delete(modelBlobKey(version));
      await this.edgeModels.release(version);
    }
  }

  private currentState(): CoordinatorState {
    if (!this.state) throw new StrataError('STRATA_ERR_NOT_STARTED', 'coordinator not started: call start() first');
    return this.state;
  }

  private async commit(state: CoordinatorState, record?: RoundRecord): Promise<void> {
    await this.store.save(state, record);
    this.state = state;
    if (record) this.records.set(record.round, record);
  }

  /**
   * Publishes the current model again when its blob is gone (Redis restarted empty, or evicted it): the
   * coordinator's own copy is the truth, so the edges find the model the round names instead of failing.
   */
  private async ensureModelPublished(): Promise<void> {
    const version = this.versionNumber;
    if ((await this.options.blobs.has(modelBlobKey(version))) && (await this.edgeModels.published(version))) return;
    this.options.logger.warn(
      { version: this.versionNumber, key: modelBlobKey(this.versionNumber) },
      "model blob missing from the blob store (Redis restarted empty?): publishing it again from the coordinator's copy",
    );
    await this.publish();
    this.options.onModelRepublished?.(this.versionNumber);
  }

  private async publish(): Promise<void> {
    const { blobs } = this.options;
    const blob = encodeModelBlob(
      this.globalModel,
      this.versionNumber,
      this.options.modelBlobEntropy ?? this.options.downlink?.entropy ?? 'brotli',
    );
    // No expiry: the current version is what a restarted coordinator resumes from. Older ones are deleted
    // once two newer exist (an edge retrying a late job may still read the previous one).
    await blobs.put(modelBlobKey(this.versionNumber), blob);
    // What edges read: the model they hold and the patch to it from the version before (edge-model-publisher.ts).
    await this.edgeModels.publish(this.globalModel, this.versionNumber);
    // What the strategy and the task keep beside the model, saved with it under the same rule (when a state
    // store was given: one can resume from it): written before the commit that names the version, so a
    // resumed coordinator finds the state of its version.
    for (const [part, holder] of this.options.state ? this.serverStateHolders() : []) {
      const state = holder.serverState?.();
      if (state) await blobs.put(serverStateBlobKey(this.versionNumber, part), state);
      // Only the committed version's state is read back (the one before this, until this one is committed).
      if (this.versionNumber > 1) await blobs.delete(serverStateBlobKey(this.versionNumber - 2, part));
    }
    // An asynchronous cloud's jobs may name older versions: releaseModelBlobs deletes them once unused.
    if (this.versionNumber > 1 && this.options.schedule.cloud.mode === 'sync') {
      await blobs.delete(modelBlobKey(this.versionNumber - 2));
      await this.edgeModels.release(this.versionNumber - 2);
    }
  }

  private serverStateHolders(): [ServerStatePart, KeepsServerState][] {
    return [
      ['strategy', this.options.strategy],
      ['task', this.options.task],
    ];
  }

  /**
   * Restores what the strategy and the task kept at `version` from the blobs publish() saved with it, for each
   * that keeps state in this configuration (a blob left by an earlier run of another configuration is not
   * read). A missing blob is an error (a resumed run would go on from zero moments, unlike an uninterrupted
   * one), as is a state the holder refuses (ServerStateError).
   */
  private async restoreServerState(version: number): Promise<void> {
    for (const [part, holder] of this.serverStateHolders()) {
      if (!holder.restoreServerState || holder.serverState?.() === undefined) continue;
      const key = serverStateBlobKey(version, part);
      const blob = await this.options.blobs.get(key);
      if (!blob) {
        throw new StrataError(
          'STRATA_ERR_MISSING_BLOB',
          `cannot resume: the ${part}'s server state ${key} of version ${version} is missing (a run saved by an older Strata, or a blob ` +
            'store that lost it); resuming without it would restart its moments from zero: pass --reset to start a new run',
        );
      }
      holder.restoreServerState(blob, this.globalModel);
    }
  }
}

/** The run-record row of a round's training (evaluation adds its metrics to it). */
export function roundRecord(outcome: RoundOutcome): RoundRecord {
  return {
    round: outcome.round,
    wallSeconds: outcome.wallSeconds,
    bytes: { ...tierRecord(outcome.bytes), control: outcome.participation.bytesControl },
    metrics: { ...outcome.metrics },
    version: outcome.version,
    participation: outcome.participation,
    ...withStaleness(outcome.participation.staleness),
    ...withCloudStaleness(outcome.participation.cloudStaleness),
    aggregationSeconds: outcome.aggregationSeconds,
    ...(outcome.resumed ? { resumed: true } : {}),
    ...(outcome.failed ? { failed: true } : {}),
    ...(outcome.privacy ? { epsilon: outcome.privacy.epsilon, privacy: outcome.privacy } : {}),
    ...(outcome.stopped ? { stopped: outcome.stopped } : {}),
  };
}

/** A round record's `staleness` (mean, max, updates) when the round's edges ran asynchronously. */
export function withStaleness(histogram: Record<string, number> | undefined): { staleness?: StalenessSummary } {
  const summary = stalenessSummary(histogram);
  return summary ? { staleness: summary } : {};
}

/** A round record's `cloudStaleness` (mean, max, updates of the edge results taken) under an asynchronous cloud. */
export function withCloudStaleness(histogram: Record<string, number> | undefined): { cloudStaleness?: StalenessSummary } {
  const summary = stalenessSummary(histogram);
  return summary ? { cloudStaleness: summary } : {};
}

/** `path: saved → now` for every leaf that differs between two configurations (JSON values). */
export function changedFields(saved: unknown, now: unknown, path = ''): string[] {
  const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (isObject(saved) && isObject(now)) {
    const keys = [...new Set([...Object.keys(saved), ...Object.keys(now)])].sort();
    return keys.flatMap((key) => changedFields(saved[key], now[key], path ? `${path}.${key}` : key));
  }
  const show = (v: unknown): string => (v === undefined ? 'unset' : JSON.stringify(v));
  return JSON.stringify(saved) === JSON.stringify(now) ? [] : [`${path || '(root)'}: ${show(saved)} → ${show(now)}`];
}

/** What an edge job carries of the secure-aggregation settings. */
function secureJobSettings(config: SecureAggregationConfig): Omit<SecureAggregationConfig, 'enabled'> {
  const { enabled: _enabled, ...settings } = config;
  return settings;
}
