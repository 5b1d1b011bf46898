// Option groups every daemon shares (where Redis is, where /healthz and /metrics listen, a strategy), and the
// Redis key layout derived from one deployment prefix, so the three daemons agree on it by construction.

import { z } from 'zod';

/** A deployment's Redis: one prefix keeps its queues, blobs and coordinator state apart from others'. */
export const redisOptionsSchema = z
  .object({
    url: z
      .string()
      .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
      .default('redis://127.0.0.1:6379'),
    prefix: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+$/, 'must be letters, digits, _ . or -')
      .default('strata'),
  })
  .strict();

export type RedisOptions = z.output<typeof redisOptionsSchema>;

/** The Redis key prefixes of one deployment. */
export function redisLayout(options: RedisOptions): {
  queuePrefix: string;
  blobPrefix: string;
  statePrefix: string;
  revokedCredentialsKey: string;
} {
  return {
    queuePrefix: options.prefix,
    blobPrefix: `${options.prefix}:blob:`,
    statePrefix: `${options.prefix}:coordinator:`,
    revokedCredentialsKey: `${options.prefix}:credentials:revoked`,
  };
}

export const portSchema = z.number().int().min(0).max(65535);

/** The /healthz and /metrics endpoint. */
export const httpOptionsSchema = (defaultPort: number) =>
  z
    .object({
      host: z.string().min(1).default('127.0.0.1'),
      /** 0: any free port (the daemon logs which). */
      port: portSchema.default(defaultPort),
    })
    .strict()
    .default({ host: '127.0.0.1', port: defaultPort });

export const strategyOptionsSchema = z
  .object({ name: z.string().default('fedavg'), options: z.record(z.string(), z.unknown()).default({}) })
  .strict()
  .default({ name: 'fedavg', options: {} });

/** Region names become queue names: no ':' and nothing a shell or URL would mangle. */
export const regionNameSchema = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 letters, digits, _ . or -');
