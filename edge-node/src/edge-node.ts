// An edge node: serves its region's devices and runs the HierFAVG inner loop. It takes `edge-round` jobs
// from its region's queue, runs κ2 edge iterations (select devices, send them the edge model, aggregate the
// answers once a quorum has answered or the deadline passed), stores its cumulative update as a blob and
// completes the job with the blob's key. `edge-evaluate` jobs collect metric sums from every device.

import {
  CumulativeDelta, SeededRandom, cloneModel, edgeUpdateBlobKey, gatherQuorum, quorumSize, regionQueue,
  selectDevices, decodeModelBlob, encodeRoundRequest, decodeUpdateReply, UpdateEncoder, validateUpdate,
  InvalidUpdateError, StrataError,
  type BlobStore, type Clock, type Compression, type EdgeEvaluateResult, type EdgeParticipation, type EdgeRoundJob,
  type EdgeRoundResult, type Job, type JobData, type JobQueue, type Logger, type ModelParams, type ModelUpdate,
  type PeerConnection, type QueueWorker, type Strategy, type TransportServer,
} from '@strata/shared';

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
  readonly logger: Logger;
  /** Largest update frame accepted from a device. */
  readonly maxUpdateBytes?: number;
  /** Times the edge deadlines (default: the system clock; the simulator passes a virtual one). */
  readonly clock?: Clock;
  /** Called when a device's answer is rejected (the reason is counted in the job result too). */
  readonly onReject?: (reason: string, deviceId: string) => void;
}

export class EdgeNode {
  private worker: QueueWorker | undefined;
  private readonly encoder: UpdateEncoder;

  constructor(private readonly options: EdgeNodeOptions) {
    this.encoder = new UpdateEncoder(options.compression);
  }

  get region(): string {
    return this.options.region;
  }

  start(): void {
    this.worker = this.options.queue.process(regionQueue(this.options.region), (job) => this.handle(job));
  }

  async stop(): Promise<void> {
    await this.worker?.close();
    this.worker = undefined;
  }

  private async handle(job: Job): Promise<JobData> {
    const data = job.data as unknown as EdgeRoundJob;
    const bytes = await this.options.blobs.get(data.modelKey);
    if (!bytes) throw new StrataError('STRATA_ERR_MISSING_BLOB', `model blob ${data.modelKey} not found`);
    const { model, version } = decodeModelBlob(bytes);
    this.options.logger.info({ job: job.name, roundId: data.roundId, version, attempt: job.attempt }, 'edge job started');
    return job.name === 'edge-evaluate' ? this.evaluate(data, model, version) : this.train(data, model, version);
  }

  private async train(job: EdgeRoundJob, global: ModelParams, version: number): Promise<EdgeRoundResult> {
    const { kappa1, kappa2, fraction, quorum, edgeDeadlineSeconds } = job.schedule;
    const edgeModel = cloneModel(global);
    const cumulative = new CumulativeDelta(global);
    const participation = emptyParticipation();
    const random = new SeededRandom(job.seed).fork(`${this.options.region}:${job.round}`);
    for (let iteration = 1; iteration <= kappa2; iteration++) {
      const selected = selectDevices(this.options.server.peers(), fraction, random.fork(iteration));
      const frame = encodeRoundRequest({
        roundId: job.roundId, round: job.round, kind: 'train', localSteps: kappa1, options: job.options,
        model: edgeModel, version,
      });
      const updates = await this.collect(selected, frame, quorum, edgeDeadlineSeconds, edgeModel, participation);
      if (updates.length === 0) continue;
      const combined = this.options.strategy.aggregate(updates);
      this.options.strategy.apply(edgeModel, combined);
      cumulative.record(combined);
    }
    const update = cumulative.result(edgeModel);
    const metrics = { ...update.metrics, samples: cumulative.totalWeight };
    if (update.weight <= 0) return { weight: 0, metrics, participation };
    const blobKey = edgeUpdateBlobKey(job.roundId, this.options.region);
    const blob = this.encoder.encode(update, { roundId: job.roundId, baseVersion: version, sender: this.options.nodeId });
    await this.options.blobs.put(blobKey, blob, 24 * 3600);
    this.options.logger.info({ roundId: job.roundId, weight: update.weight, participation }, 'edge round done');
    return { blobKey, weight: update.weight, metrics, participation };
  }

  private async evaluate(job: EdgeRoundJob, model: ModelParams, version: number): Promise<EdgeEvaluateResult> {
    const participation = emptyParticipation();
    const devices = this.options.server.peers();
    const frame = encodeRoundRequest({
      roundId: job.roundId, round: job.round, kind: 'evaluate', localSteps: 0, options: job.options, model, version,
    });
    const answers = await this.collect(devices, frame, 1, job.schedule.edgeDeadlineSeconds, undefined, participation);
    const sums: Record<string, number> = {};
    let count = 0;
    for (const answer of answers) {
      count += answer.weight;
      for (const [key, value] of Object.entries(answer.metrics)) sums[key] = (sums[key] ?? 0) + value;
    }
    return { count, sums, participation };
  }

  /**
   * Sends `frame` to `devices`, waits for the quorum or the deadline, and returns the valid answers in device
   * order. Invalid answers are rejected with a counted reason; nothing else is affected by them.
   */
  private async collect(
    devices: readonly PeerConnection[], frame: Uint8Array, quorum: number, deadlineSeconds: number,
    model: ModelParams | undefined, participation: EdgeParticipation,
  ): Promise<ModelUpdate[]> {
    const deadlineMs = deadlineSeconds * 1000;
    const gathered = await gatherQuorum(
      devices.map((d) => d.request(frame, deadlineMs)), quorumSize(devices.length, quorum), deadlineMs, this.options.clock,
    );
    participation.selected += devices.length;
    participation.bytesDown += frame.byteLength * devices.length;
    participation.failed += gathered.failed.length;
    participation.dropped += gathered.late;
    const updates: ModelUpdate[] = [];
    for (const { index, value } of gathered.answers) {
      participation.bytesUp += value.byteLength;
      const deviceId = devices[index].info.nodeId;
      try {
        const { update } = decodeUpdateReply(value, this.options.maxUpdateBytes);
        if (model) validateUpdate(update, model);
        updates.push(update);
        participation.answered++;
      } catch (error) {
        const reason = error instanceof InvalidUpdateError ? error.reason : error instanceof StrataError ? 'malformed' : 'error';
        participation.rejected[reason] = (participation.rejected[reason] ?? 0) + 1;
        this.options.onReject?.(reason, deviceId);
        this.options.logger.warn({ deviceId, reason, error: (error as Error).message }, 'device update rejected');
      }
    }
    for (const { index, error } of gathered.failed) {
      this.options.logger.warn({ deviceId: devices[index].info.nodeId, error: error.message }, 'device request failed');
    }
    return updates;
  }
}

function emptyParticipation(): EdgeParticipation {
  return { selected: 0, answered: 0, dropped: 0, failed: 0, rejected: {}, bytesDown: 0, bytesUp: 0 };
}
