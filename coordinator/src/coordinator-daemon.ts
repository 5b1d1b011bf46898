// The coordinator daemon (`strata coordinator`): takes the deployment's lease, resumes from the state in
// Redis (or starts the run), runs the cloud rounds and evaluations, writes the run record, and serves
// /healthz and /metrics. stop() is the graceful shutdown: the round in flight stays in the state, and the
// next coordinator waits for its flow.

import { createHash, randomUUID } from 'node:crypto';
import { hostname, cpus } from 'node:os';
import { resolve } from 'node:path';
import {
  createStrategy,
  newRunId,
  requireFinalMetrics,
  redactSecrets,
  redisLayout,
  type FederatedTask,
  type Logger,
  type RunRecord,
} from '@strata/shared';
import { BullMqJobQueue, RedisBlobStore, countingBlobStore, startDaemonHttp, writeRunRecord, type DaemonHttp } from '@strata/runtime';
import { Coordinator, roundRecord } from './coordinator.js';
import { CoordinatorDashboard } from '@strata/dashboard';
import { CoordinatorMetrics } from './coordinator-metrics.js';
import { RedisStateStore } from '@strata/runtime';
import type { CoordinatorDaemonConfig } from './coordinator-daemon-config.js';

export interface CoordinatorRun {
  /** The registry name of the task (`recsys/bpr-mf`). */
  readonly taskName: string;
  readonly task: FederatedTask;
  /** Options sent to devices: the task's defaults overridden by the configuration's. */
  readonly taskOptions: Record<string, number>;
  /** Metrics the dashboard charts first (recall@20, ndcg@20; psnr). */
  readonly headlineMetrics?: readonly string[];
  /** The task's configuration as given (name, data source, options, seed), so the run record can rerun the run. */
  readonly taskConfig?: Readonly<Record<string, unknown>>;
}

export type CoordinatorPhase = 'waiting-for-lease' | 'running' | 'done' | 'stopped' | 'failed';

/** What defines the model a run produces (not how long it runs): state saved under another one is refused. */
export function runDefinition(config: CoordinatorDaemonConfig, run: CoordinatorRun): Record<string, unknown> {
  const { kappa1, kappa2, fraction, quorum } = config.schedule;
  return JSON.parse(
    JSON.stringify({
      task: run.task.describe(),
      taskOptions: run.taskOptions,
      regions: config.regions,
      seed: config.seed,
      schedule: { kappa1, kappa2, fraction, quorum },
      strategy: config.strategy,
    }),
  ) as Record<string, unknown>;
}

export function runConfigHash(definition: Record<string, unknown>): string {
  return createHash('sha256').update(JSON.stringify(definition)).digest('hex').slice(0, 16);
}

export class CoordinatorDaemon {
  readonly metrics = new CoordinatorMetrics();
  /** Resolves with the run record once the run is done (undefined when stopped first); rejects if it failed. */
  readonly done: Promise<RunRecord | undefined>;
  private phase: CoordinatorPhase = 'waiting-for-lease';
  private readonly abort = new AbortController();
  private readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly queue: BullMqJobQueue;
  private readonly blobs: RedisBlobStore;
  private readonly state: RedisStateStore;
  private readonly coordinator: Coordinator;
  private leaseTimer: NodeJS.Timeout | undefined;
  private stopping: Promise<void> | undefined;
  private http: DaemonHttp | undefined;
  private dashboard: CoordinatorDashboard | undefined;

  private constructor(
    private readonly config: CoordinatorDaemonConfig,
    private readonly run: CoordinatorRun,
    private readonly logger: Logger,
  ) {
    const layout = redisLayout(config.redis);
    this.queue = new BullMqJobQueue({
      url: config.redis.url,
      prefix: layout.queuePrefix,
      onError: (error, name) => logger.warn({ queue: name, error: error.message }, 'queue worker error'),
    });
    this.blobs = new RedisBlobStore({ url: config.redis.url, prefix: layout.blobPrefix });
    this.state = new RedisStateStore({ url: config.redis.url, prefix: layout.statePrefix });
    const definition = runDefinition(config, run);
    this.coordinator = new Coordinator({
      task: run.task,
      strategy: createStrategy(config.strategy.name, config.strategy.options),
      queue: this.queue,
      blobs: countingBlobStore(this.blobs, {
        written: (bytes) => this.metrics.bytesSent.inc({ link: 'edge_cloud' }, bytes),
        read: (bytes) => this.metrics.bytesReceived.inc({ link: 'edge_cloud' }, bytes),
      }),
      regions: config.regions,
      schedule: config.schedule,
      taskOptions: run.taskOptions,
      seed: config.seed,
      logger,
      maxUpdateBytes: config.maxUpdateBytes,
      defences: config.defences,
      privacy: config.privacy,
      secureAggregation: config.secureAggregation,
      downlink: config.downlink,
      onModelRepublished: () => this.metrics.modelRepublished.inc(),
      state: this.state,
      configHash: runConfigHash(definition),
      config: definition,
      signal: this.abort.signal,
    });
    this.done = this.execute();
    this.done.catch(() => {}); // observed by whoever awaits it; never an unhandled rejection
  }

  /** Starts the HTTP endpoint, then the run in the background (see `done`). */
  static async start(config: CoordinatorDaemonConfig, run: CoordinatorRun, logger: Logger): Promise<CoordinatorDaemon> {
    const daemon = new CoordinatorDaemon(config, run, logger);
    const { kappa1, kappa2, fraction, quorum } = config.schedule;
    const dashboard = config.dashboard.enabled
      ? new CoordinatorDashboard({
          options: config.dashboard,
          redis: config.redis,
          runsDir: resolve(config.runsDir),
          logger,
          run: {
            task: run.taskName,
            rounds: config.schedule.rounds,
            regions: config.regions,
            schedule: { kappa1, kappa2, fraction, quorum },
            headlineMetrics: run.headlineMetrics ?? [],
          },
        })
      : undefined;
    daemon.dashboard = dashboard;
    daemon.http = await startDaemonHttp({
      routes: dashboard && ((request, response) => dashboard.server.handle(request, response)),
      attach: dashboard && ((server) => dashboard.attach(server)),
      host: config.http.host,
      port: config.http.port,
      metrics: daemon.metrics.registry,
      health: () => ({
        // Degraded (503) while the latest round accepted no update: the run makes no progress.
        ok: daemon.phase !== 'failed' && !daemon.lastRoundFailed(),
        status: daemon.phase === 'failed' ? 'failed' : daemon.lastRoundFailed() ? 'degraded' : 'ok',
        tier: 'coordinator',
        phase: daemon.phase,
        round: daemon.coordinator.round,
        rounds: config.schedule.rounds,
        version: daemon.phase === 'waiting-for-lease' ? null : daemon.coordinator.version,
      }),
    });
    logger.info({ http: daemon.http.url, regions: config.regions, rounds: config.schedule.rounds }, 'coordinator ready');
    if (dashboard)
      logger.info({ dashboard: `${daemon.http.url}/${config.dashboard.token ? '' : `#token=${dashboard.token}`}` }, 'dashboard ready');
    return daemon;
  }

  get httpUrl(): string {
    return this.http?.url ?? '';
  }

  /** Whether the latest committed round accepted no update (its record says so). */
  private lastRoundFailed(): boolean {
    return this.coordinator.roundRecord(this.coordinator.round)?.failed === true;
  }

  get currentPhase(): CoordinatorPhase {
    return this.phase;
  }

  /** Stops the run (a round in flight stays in flight, for the next coordinator), gives up the lease, closes. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.abort.abort();
      clearInterval(this.leaseTimer);
      await this.queue.close(); // wakes a wait for a flow, which then sees the abort
      await this.done.catch(() => {});
      await this.state.releaseLease(this.owner).catch(() => {});
      await Promise.all([this.blobs.close(), this.state.close()]);
      await this.dashboard?.close();
      await this.http?.close();
      this.logger.info({ phase: this.phase }, 'coordinator stopped');
    })();
    return this.stopping;
  }

  private async execute(): Promise<RunRecord | undefined> {
    const started = performance.now();
    try {
      await this.takeLease();
      if (this.config.reset) {
        await this.state.clear();
        this.logger.warn('reset: the saved state is forgotten, a new run starts');
      }
      await this.coordinator.start();
      if (this.coordinator.round >= this.config.schedule.rounds && this.coordinator.flowInFlight === undefined) {
        this.logger.warn(
          { round: this.coordinator.round, rounds: this.config.schedule.rounds, version: this.coordinator.version },
          `this run already finished its ${this.config.schedule.rounds} rounds: nothing to do (--reset starts a new run)`,
        );
      }
      this.phase = 'running';
      this.dashboard?.history(this.coordinator.roundRecords());
      this.dashboard?.phase('running');
      this.metrics.modelVersion.set(this.coordinator.version);
      this.metrics.currentRound.set(this.coordinator.round);
      await this.runRounds();
      const record = this.runRecord((performance.now() - started) / 1000);
      requireFinalMetrics(record.final.metrics, this.coordinator.round);
      const dir = writeRunRecord(resolve(this.config.runsDir), record);
      this.phase = 'done';
      this.dashboard?.finished(record.id);
      this.logger.info({ version: this.coordinator.version, metrics: record.final.metrics, runRecord: `${dir}/run.json` }, 'run done');
      return record;
    } catch (error) {
      if (this.abort.signal.aborted) {
        this.phase = 'stopped';
        return undefined;
      }
      this.phase = 'failed';
      this.dashboard?.phase('failed');
      this.logger.error({ error: (error as Error).message }, 'run failed');
      throw error;
    }
  }

  private async runRounds(): Promise<void> {
    const coordinator = this.coordinator;
    const { rounds, evalEvery } = this.config.schedule;
    const evaluateAfter = (round: number): boolean => round === rounds || (evalEvery > 0 && round % evalEvery === 0);
    // What a stopped predecessor left: an evaluation in flight, or a committed round not yet evaluated.
    const inFlight = coordinator.flowInFlight;
    const last = coordinator.roundRecords().at(-1);
    if (inFlight?.kind === 'edge-evaluate') await this.evaluate(inFlight.round);
    else if (last && last.round === coordinator.round && last.evaluated !== true && evaluateAfter(last.round))
      await this.evaluate(last.round);
    for (let round = coordinator.round + 1; round <= rounds; round++) {
      this.abort.signal.throwIfAborted();
      const stop = coordinator.privacyStop();
      if (stop) {
        this.logger.info({ round, epsilon: coordinator.epsilon }, stop);
        const previous = coordinator.roundRecord(round - 1);
        if (previous && previous.evaluated !== true) await this.evaluate(round - 1);
        break;
      }
      this.dashboard?.roundStarted(round);
      const outcome = await coordinator.runRound(round);
      this.metrics.roundCompleted(outcome);
      this.dashboard?.roundCommitted(roundRecord(outcome));
      if (outcome.stopped) {
        this.logger.info({ round, epsilon: coordinator.epsilon }, outcome.stopped);
        await this.evaluate(round);
        break;
      }
      if (evaluateAfter(round)) await this.evaluate(round);
    }
  }

  private async evaluate(round: number): Promise<void> {
    const { metrics } = await this.coordinator.evaluate(round);
    this.metrics.evaluated(metrics);
    this.dashboard?.evaluated(round, metrics);
    this.logger.info({ round, version: this.coordinator.version, metrics }, 'evaluated');
  }

  /** Waits for the lease (a killed predecessor's expires after leaseSeconds), then keeps renewing it. */
  private async takeLease(): Promise<void> {
    const ttlMs = Math.round(this.config.leaseSeconds * 1000);
    let told = false;
    while (!(await this.state.acquireLease(this.owner, ttlMs))) {
      if (!told) this.logger.warn({ leaseSeconds: this.config.leaseSeconds }, 'another coordinator holds the lease: waiting for it');
      told = true;
      this.abort.signal.throwIfAborted();
      await new Promise((resolve) => setTimeout(resolve, Math.min(1000, ttlMs / 3)));
    }
    this.leaseTimer = setInterval(() => {
      this.state.acquireLease(this.owner, ttlMs).then(
        (held) => {
          if (held || this.abort.signal.aborted) return;
          this.logger.error('lost the coordinator lease to another coordinator: stopping');
          void this.stop();
        },
        (error: unknown) => this.logger.warn({ error: (error as Error).message }, 'cannot renew the coordinator lease'),
      );
    }, ttlMs / 3);
  }

  private runRecord(wallSeconds: number): RunRecord {
    const rounds = this.coordinator.roundRecords();
    const lastEvaluated = [...rounds].reverse().find((r) => r.evaluated === true);
    const { task } = this.run;
    return {
      id: newRunId(task.id.replace('/', '-')),
      task: task.id,
      mode: 'distributed',
      startedAt: new Date(Date.now() - wallSeconds * 1000).toISOString(),
      config: redactSecrets({
        ...this.config,
        ...this.run.taskConfig,
        task: task.describe(),
        taskName: this.run.taskName,
        taskOptions: this.run.taskOptions,
      }),
      environment: { node: process.version, host: hostname(), cpus: cpus().length, platform: process.platform },
      rounds,
      final: {
        metrics: (lastEvaluated?.evaluation as Record<string, number> | undefined) ?? {},
        wallSeconds,
        version: this.coordinator.version,
      },
    };
  }
}
