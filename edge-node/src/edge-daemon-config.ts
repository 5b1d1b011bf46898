// The edge daemon's configuration, validated at startup: a bad option fails with a ConfigError naming it.
// The CLI fills it from a file, STRATA_* environment variables and flags (docs: README, Operations).

import { z } from 'zod';
import {
  compressionSchema,
  downlinkSchema,
  httpOptionsSchema,
  parseConfig,
  portSchema,
  redisOptionsSchema,
  regionNameSchema,
  strategyOptionsSchema,
  type OptionSources,
} from '@strata/shared';

const positiveInt = z.number().int().positive();

export const edgeDaemonConfigSchema = z
  .object({
    /** The region this edge serves: its devices, and the BullMQ queue `strata-region-<region>`. */
    region: regionNameSchema,
    /** Default `edge-<region>`; give replicas of one region distinct ids. */
    nodeId: z.string().min(1).max(256).optional(),
    /** Where devices connect (socket.io over websocket). */
    listen: z
      .object({ host: z.string().min(1).default('127.0.0.1'), port: portSchema.default(7400) })
      .strict()
      .default({ host: '127.0.0.1', port: 7400 }),
    /**
     * Shared-token mode: the one secret every device of the region presents (tests, demos, the embedded
     * default). Production fleets use trustedKeysFile instead.
     */
    token: z.string().min(8, 'must be at least 8 characters').optional(),
    /**
     * Credentials mode: a file of PEM public keys of the credential issuers (`strata credentials keygen`).
     * Each device presents its own signed credential, which must name its id, the role device and this
     * edge's region, and not be revoked (`strata credentials revoke`). Re-read when it changes.
     */
    trustedKeysFile: z.string().min(1).optional(),
    /** Serve devices over TLS (`https://`, `wss://`): the certificate chain and private key, PEM files. */
    tls: z
      .object({ certFile: z.string().min(1), keyFile: z.string().min(1) })
      .strict()
      .optional(),
    redis: redisOptionsSchema.default(redisOptionsSchema.parse({})),
    http: httpOptionsSchema(9401),
    /** How the edge aggregates its devices each edge iteration. */
    strategy: strategyOptionsSchema,
    /** How the edge encodes its update to the cloud. */
    compression: compressionSchema.default(compressionSchema.parse({})),
    /** How the edge sends models down to its devices. */
    downlink: downlinkSchema.default(downlinkSchema.parse({})),
    /** Take the region's jobs only while this many devices are connected (0: always). */
    minDevices: z.number().int().min(0).default(1),
    /** Largest update frame accepted from a device (default: 3x the round's model blob + 64 KiB). */
    maxUpdateBytes: positiveInt.optional(),
    link: z
      .object({
        chunkBytes: positiveInt.optional(),
        maxHttpBufferSize: positiveInt.optional(),
        maxFrameBytes: positiveInt.optional(),
        maxPendingRequests: positiveInt.optional(),
        maxConnections: positiveInt.optional(),
        maxConnectionsPerAddress: positiveInt.optional(),
        maxUnsolicitedEvents: positiveInt.optional(),
        /** How long a disconnected device's session is kept for it to resume. */
        sessionGraceSeconds: z.number().nonnegative().default(60),
      })
      .strict()
      .default({ sessionGraceSeconds: 60 }),
    queue: z
      .object({
        /** A dead edge's job is retried by a replica about lockDurationMs + stalledIntervalMs later. */
        lockDurationMs: positiveInt.default(30_000),
        stalledIntervalMs: positiveInt.default(15_000),
        maxStalledCount: z.number().int().min(0).default(1),
      })
      .strict()
      .default({ lockDurationMs: 30_000, stalledIntervalMs: 15_000, maxStalledCount: 1 }),
    /** On SIGTERM/SIGINT: how long the job in progress may take to finish before it is handed back. */
    shutdownGraceSeconds: z.number().nonnegative().default(30),
  })
  .strict()
  .refine((c) => c.token !== undefined || c.trustedKeysFile !== undefined, {
    message: 'set token (shared-token mode) or trustedKeysFile (credentials mode): every device is authenticated',
    path: ['token'],
  });

export type EdgeDaemonConfig = z.output<typeof edgeDaemonConfigSchema>;

/** Validates a edge configuration; `sources` says where a user sets each option, for the error message. */
export function parseEdgeDaemonConfig(input: unknown, sources: OptionSources = {}): EdgeDaemonConfig {
  return parseConfig(edgeDaemonConfigSchema, input, 'edge configuration', sources);
}
