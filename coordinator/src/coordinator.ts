// The cloud coordinator: owns the global model and its versions, runs cloud rounds as flows (a parent job
// with one `edge-round` child per region), aggregates the edges' updates with the configured strategy and
// server optimizer, and evaluates the global model (centrally when the task can, else on the devices).

import {
  CLOUD_QUEUE, StrataError, systemClock, decodeModelBlob, decodeUpdateReply, encodeModelBlob, modelBlobKey,
  regionQueue, validateUpdate, InvalidUpdateError,
  type BlobStore, type ChildOutcome, type Clock, type EdgeEvaluateResult, type EdgeParticipation, type EdgeRoundJob,
  type EdgeRoundResult, type FederatedTask, type HierFavgSchedule, type JobQueue, type Logger, type ModelParams,
  type ModelUpdate, type Strategy,
} from '@strata/shared';

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
}

export interface TierBytes {
  deviceEdgeDown: number;
  deviceEdgeUp: number;
  edgeCloudDown: number;
  edgeCloudUp: number;
}

export interface RoundOutcome {
  round: number;
  /** The model version this round produced. */
  version: number;
  wallSeconds: number;
  bytes: TierBytes;
  /** Training metrics (loss: mean over the samples trained on). */
  metrics: Record<string, number>;
  participation: EdgeParticipation & { edgesAnswered: number; edgesExpected: number; edgesRejected: number };
}

export interface EvaluationOutcome {
  metrics: Record<string, number>;
  bytes: TierBytes;
}

export class Coordinator {
  private model: ModelParams | undefined;
  private versionNumber = 0;
  private modelBytes = 0;

  constructor(private readonly options: CoordinatorOptions) {}

  get version(): number {
    return this.versionNumber;
  }

  /** The current global model (do not mutate). */
  get globalModel(): ModelParams {
    if (!this.model) throw new StrataError('STRATA_ERR_NOT_STARTED', 'coordinator not started: call start() first');
    return this.model;
  }

  /** Initialises the global model (version 0) and publishes it. */
  async start(): Promise<void> {
    this.model = this.options.task.initModel();
    this.versionNumber = 0;
    await this.publish();
  }

  /** Runs one cloud round: the flow, the edges' κ2 iterations, the global aggregation. */
  async runRound(round: number): Promise<RoundOutcome> {
    const started = performance.now();
    const { regions, logger } = this.options;
    const roundId = `r${round}-v${this.versionNumber}`;
    const outcomes = await this.runFlow('edge-round', roundId, round);
    const updates: ModelUpdate[] = [];
    const participation = { ...emptyParticipation(), edgesAnswered: 0, edgesExpected: regions.length, edgesRejected: 0 };
    const bytes: TierBytes = { deviceEdgeDown: 0, deviceEdgeUp: 0, edgeCloudDown: 0, edgeCloudUp: 0 };
    const metricSums: Record<string, number> = {};
    for (const outcome of outcomes) {
      if (outcome.state !== 'completed' || !outcome.result) {
        logger.warn({ roundId, queue: outcome.queue, state: outcome.state, error: outcome.error }, 'edge did not complete');
        continue;
      }
      const result = outcome.result as EdgeRoundResult;
      addParticipation(participation, result.participation);
      bytes.deviceEdgeDown += result.participation.bytesDown;
      bytes.deviceEdgeUp += result.participation.bytesUp;
      bytes.edgeCloudDown += this.modelBytes;
      for (const [key, value] of Object.entries(result.metrics)) metricSums[key] = (metricSums[key] ?? 0) + value;
      if (!result.blobKey) continue;
      const blob = await this.options.blobs.get(result.blobKey);
      if (!blob) {
        logger.warn({ roundId, blobKey: result.blobKey }, 'edge update blob missing');
        continue;
      }
      bytes.edgeCloudUp += blob.byteLength;
      try {
        const { update } = decodeUpdateReply(blob, this.options.maxUpdateBytes);
        validateUpdate(update, this.globalModel);
        updates.push(update);
        participation.edgesAnswered++;
      } catch (error) {
        participation.edgesRejected++;
        const reason = error instanceof InvalidUpdateError ? error.reason : 'malformed';
        logger.warn({ roundId, blobKey: result.blobKey, reason, error: (error as Error).message }, 'edge update rejected');
      }
      await this.options.blobs.delete(result.blobKey);
    }
    if (updates.length > 0) {
      const combined = this.options.strategy.aggregate(updates);
      this.options.strategy.apply(this.globalModel, combined);
      this.versionNumber++;
      await this.publish();
    } else {
      logger.warn({ roundId }, 'no edge update this round: the global model is unchanged');
    }
    const samples = metricSums.samples ?? 0;
    const metrics: Record<string, number> = {};
    if (metricSums.loss !== undefined && samples > 0) metrics.loss = metricSums.loss / samples;
    const wallSeconds = (performance.now() - started) / 1000;
    logger.info({ round, version: this.versionNumber, wallSeconds, participation }, 'cloud round done');
    return { round, version: this.versionNumber, wallSeconds, bytes, metrics, participation };
  }

  /** Evaluates the current global model: centrally when the task can, else on every connected device. */
  async evaluate(round: number): Promise<EvaluationOutcome> {
    const bytes: TierBytes = { deviceEdgeDown: 0, deviceEdgeUp: 0, edgeCloudDown: 0, edgeCloudUp: 0 };
    if (this.options.task.evaluate) return { metrics: await this.options.task.evaluate(this.globalModel), bytes };
    const outcomes = await this.runFlow('edge-evaluate', `e${round}-v${this.versionNumber}`, round);
    let count = 0;
    const sums: Record<string, number> = {};
    for (const outcome of outcomes) {
      if (outcome.state !== 'completed' || !outcome.result) continue;
      const result = outcome.result as EdgeEvaluateResult;
      count += result.count;
      bytes.deviceEdgeDown += result.participation.bytesDown;
      bytes.deviceEdgeUp += result.participation.bytesUp;
      bytes.edgeCloudDown += this.modelBytes;
      for (const [key, value] of Object.entries(result.sums)) sums[key] = (sums[key] ?? 0) + value;
    }
    const metrics: Record<string, number> = {};
    if (count > 0) for (const [key, value] of Object.entries(sums)) metrics[key] = value / count;
    return { metrics, bytes };
  }

  private async runFlow(kind: 'edge-round' | 'edge-evaluate', roundId: string, round: number): Promise<ChildOutcome[]> {
    const { schedule, regions, queue } = this.options;
    const job: EdgeRoundJob = {
      roundId, round, version: this.versionNumber, modelKey: modelBlobKey(this.versionNumber),
      schedule: {
        kappa1: schedule.kappa1, kappa2: schedule.kappa2, fraction: schedule.fraction, quorum: schedule.quorum,
        edgeDeadlineSeconds: schedule.edgeDeadlineSeconds,
      },
      options: { ...this.options.taskOptions, ...this.options.strategy.clientOptions() },
      seed: this.options.seed,
    };
    const parentId = await queue.addFlow(
      { queue: CLOUD_QUEUE, name: kind === 'edge-round' ? 'cloud-round' : 'cloud-evaluate', data: { roundId, round } },
      regions.map((region) => ({ queue: regionQueue(region), name: kind, data: { ...job } })),
    );
    return queue.waitForFlow(parentId, (this.options.clock ?? systemClock).now() + schedule.roundDeadlineSeconds * 1000);
  }

  private async publish(): Promise<void> {
    const blob = encodeModelBlob(this.globalModel, this.versionNumber);
    this.modelBytes = blob.byteLength;
    await this.options.blobs.put(modelBlobKey(this.versionNumber), blob, 24 * 3600);
    if (this.versionNumber > 1) await this.options.blobs.delete(modelBlobKey(this.versionNumber - 2));
  }
}

function emptyParticipation(): EdgeParticipation {
  return { selected: 0, answered: 0, dropped: 0, failed: 0, rejected: {}, bytesDown: 0, bytesUp: 0 };
}

function addParticipation(total: EdgeParticipation, part: EdgeParticipation): void {
  total.selected += part.selected;
  total.answered += part.answered;
  total.dropped += part.dropped;
  total.failed += part.failed;
  total.bytesDown += part.bytesDown;
  total.bytesUp += part.bytesUp;
  for (const [reason, n] of Object.entries(part.rejected)) total.rejected[reason] = (total.rejected[reason] ?? 0) + n;
}

