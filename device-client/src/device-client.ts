// A device: holds its private data and state (inside its DeviceTrainer), answers its edge's round requests
// by training locally (or evaluating), and uploads its update compressed as configured, with error feedback
// carried across rounds. It keeps the last model it was sent, so its edge sends only what changed; a request
// it cannot apply to that model it answers with Resync, and the edge sends the whole model.

import { SecureAggregationParticipant } from './secure-aggregation-participant.js';
import {
  DeviceModelCache,
  UpdateEncoder,
  decodeEnvelope,
  roundRequestOf,
  secAggFrameOf,
  encodeResync,
  StrataError,
  type ClientConnection,
  type Compression,
  type DeviceTrainer,
  type Logger,
  type ModelParams,
  type CryptoRandom,
  type TransportClient,
} from '@strata/shared';

export interface DeviceClientOptions {
  readonly nodeId: string;
  readonly region: string;
  readonly trainer: DeviceTrainer;
  readonly compression: Compression;
  readonly logger: Logger;
  /** Largest request frame accepted from the edge. */
  readonly maxRequestBytes?: number;
  /**
   * The tensor shapes this device's task and data give (its initial model): a model of other shapes means
   * the device and the coordinator were started with different data or options, refused naming both.
   */
  readonly expectedShapes?: ReadonlyMap<string, readonly number[]>;
  /** Told of every request answered or failed (metrics). */
  readonly observer?: DeviceClientObserver;
  /** Secure aggregation's key and seed generator per session (default: the platform's entropy; seeded only in tests). */
  readonly secureRandom?: () => CryptoRandom;
}

/** What a device answered: an update, evaluation sums, a resync, or a secure-aggregation step. */
export type AnswerKind = 'train' | 'evaluate' | 'resync' | 'secagg';

export interface DeviceClientObserver {
  /** `resync`: the request did not apply to the model the device holds; it asked for the whole model. */
  answered?(kind: AnswerKind, requestBytes: number, replyBytes: number, seconds: number): void;
  failed?(error: Error): void;
}

export class DeviceClient {
  private readonly encoder: UpdateEncoder;
  private connection: ClientConnection | undefined;
  /** The last model the edge sent (read-only to the trainer; patched in place by the next request). */
  readonly cache = new DeviceModelCache();
  /** Requests are answered one at a time, so a patch never changes the model under a running training. */
  private previous: Promise<unknown> = Promise.resolve();
  /** The device's side of its edge's secure-aggregation sessions. */
  private readonly secure: SecureAggregationParticipant;

  constructor(private readonly options: DeviceClientOptions) {
    this.encoder = new UpdateEncoder(options.compression);
    this.secure = new SecureAggregationParticipant(options.nodeId, options.secureRandom);
  }

  get nodeId(): string {
    return this.options.nodeId;
  }

  async connect(transport: TransportClient, address: string): Promise<void> {
    this.connection = await transport.connect(
      address,
      { nodeId: this.options.nodeId, role: 'device', region: this.options.region },
      (frame) => this.handle(frame),
    );
  }

  async disconnect(): Promise<void> {
    await this.connection?.close();
    this.connection = undefined;
  }

  get connected(): boolean {
    return this.connection?.connected === true;
  }

  /** Answers one request frame from the edge with an Update (or Resync) frame, after any earlier request. */
  handle(frame: Uint8Array): Promise<Uint8Array> {
    const answer = this.previous.then(
      () => this.answer(frame),
      () => this.answer(frame),
    );
    this.previous = answer;
    return answer;
  }

  private async answer(frame: Uint8Array): Promise<Uint8Array> {
    const observer = this.options.observer;
    if (!observer) return (await this.answerWithKind(frame)).reply;
    const started = performance.now();
    try {
      const { kind, reply } = await this.answerWithKind(frame);
      observer.answered?.(kind, frame.byteLength, reply.byteLength, (performance.now() - started) / 1000);
      return reply;
    } catch (error) {
      observer.failed?.(error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
  }

  private async answerWithKind(frame: Uint8Array): Promise<{ kind: AnswerKind; reply: Uint8Array }> {
    const limits = this.options.maxRequestBytes === undefined ? {} : { maxFrameBytes: this.options.maxRequestBytes };
    const envelope = decodeEnvelope(frame, limits);
    const secAgg = secAggFrameOf(envelope);
    if (secAgg) return { kind: 'secagg', reply: await this.secure.answer(secAgg) };
    const request = roundRequestOf(envelope, this.options.maxRequestBytes);
    const resolved = this.cache.resolve(request);
    if ('resync' in resolved) {
      this.options.logger.info({ roundId: request.roundId, reason: resolved.resync }, 'asking the edge for the whole model');
      return { kind: 'resync', reply: encodeResync(request.roundId, resolved.resync, this.options.nodeId) };
    }
    const { model } = resolved;
    this.checkShapes(model);
    const header = { roundId: request.roundId, baseVersion: request.version, sender: this.options.nodeId };
    if (request.kind === 'evaluate') {
      if (!this.options.trainer.evaluate) {
        throw new StrataError('STRATA_ERR_UNSUPPORTED', `device ${this.options.nodeId} cannot evaluate this task`);
      }
      const { count, sums } = await this.options.trainer.evaluate(model);
      return { kind: 'evaluate', reply: this.encoder.encodeUncompressed({ delta: new Map(), weight: count, metrics: sums }, header) };
    }
    const update = await this.options.trainer.train(model, {
      round: request.round,
      localSteps: request.localSteps,
      options: request.options,
    });
    // Under secure aggregation the update stays here; it goes up masked in the session's later steps.
    if (request.secureAggregation) return { kind: 'secagg', reply: this.secure.begin(request.secureAggregation, model, update) };
    return { kind: 'train', reply: this.encoder.encode(update, header) };
  }

  private checkShapes(model: ModelParams): void {
    const expected = this.options.expectedShapes;
    if (!expected) return;
    const show = (shape: readonly number[] | undefined): string => (shape ? `[${shape.join(', ')}]` : 'absent');
    const names = [...new Set([...expected.keys(), ...model.keys()])];
    const differing = names.filter((name) => show(expected.get(name)) !== show(model.get(name)?.shape));
    if (differing.length === 0) return;
    const detail = differing.map((name) => `${name}: edge ${show(model.get(name)?.shape)}, device ${show(expected.get(name))}`).join('; ');
    const message =
      `the edge's model does not fit device ${this.options.nodeId}'s task and data (${detail}): ` +
      'start devices with the same task, data and options as the coordinator';
    this.options.logger.error({ deviceId: this.options.nodeId }, message);
    throw new StrataError('STRATA_ERR_SHAPE_MISMATCH', message);
  }
}
