// Carries edges' live batches (EdgeLiveBatch) to the coordinator's dashboard over Redis pub/sub: edges in
// other processes publish, the coordinator subscribes. Fire and forget: a batch published while no coordinator
// listens is lost, which the edges' heartbeats (the full device list) make good within seconds. Nothing here
// is needed for training, so a Redis error is reported to `onError` and never thrown at the caller.

import { Redis } from 'ioredis';
import { DEFAULT_REDIS_URL } from './redis-url.js';
import type { EdgeLiveBatch } from '@strata/shared';

export interface RedisLiveChannelOptions {
  /** Where Redis listens (default redis://127.0.0.1:6379). */
  readonly url?: string;
  /** The deployment's Redis prefix (`redis.prefix`): the channel is `<prefix>:live:edges`. */
  readonly prefix: string;
  readonly onError?: (error: Error) => void;
}

export function liveChannelName(prefix: string): string {
  return `${prefix}:live:edges`;
}

export class RedisLiveChannel {
  private publisher: Redis | undefined;
  private subscriber: Redis | undefined;
  private readonly channel: string;

  constructor(private readonly options: RedisLiveChannelOptions) {
    this.channel = liveChannelName(options.prefix);
  }

  publish(batch: EdgeLiveBatch): void {
    this.publisher ??= this.connect();
    this.publisher.publish(this.channel, JSON.stringify(batch)).catch((error: unknown) => this.failed(error));
  }

  /** Calls `listener` with every batch published from now on; messages that are not batches are skipped. */
  async subscribe(listener: (batch: EdgeLiveBatch) => void): Promise<void> {
    // A subscribed connection can do nothing else: it is the channel's own.
    this.subscriber ??= this.connect();
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.channel) return;
      let batch: unknown;
      try {
        batch = JSON.parse(message);
      } catch (error) {
        this.failed(error);
        return;
      }
      if (isBatch(batch)) listener(batch);
    });
    await this.subscriber.subscribe(this.channel);
  }

  async close(): Promise<void> {
    await Promise.all(
      [this.publisher, this.subscriber].map(async (redis) => {
        if (redis && redis.status !== 'end') await redis.quit().catch(() => redis.disconnect());
      }),
    );
  }

  private connect(): Redis {
    const redis = new Redis(this.options.url ?? DEFAULT_REDIS_URL, { maxRetriesPerRequest: 1 });
    redis.on('error', (error: Error) => this.failed(error));
    return redis;
  }

  private failed(error: unknown): void {
    this.options.onError?.(error instanceof Error ? error : new Error(String(error)));
  }
}

function isBatch(value: unknown): value is EdgeLiveBatch {
  if (typeof value !== 'object' || value === null) return false;
  const batch = value as Record<string, unknown>;
  return (
    typeof batch.region === 'string' && typeof batch.nodeId === 'string' && typeof batch.at === 'number' && Array.isArray(batch.events)
  );
}
