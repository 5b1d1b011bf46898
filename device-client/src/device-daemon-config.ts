// The device daemon's configuration, validated at startup: a bad option fails with a ConfigError naming it.
// One process runs `count` devices: partitions deviceIndex .. deviceIndex + count - 1 of the task's data.

import { z } from 'zod';
import { compressionSchema, httpOptionsSchema, parseConfig, regionNameSchema, type OptionSources } from '@strata/shared';

const positiveInt = z.number().int().positive();

export const deviceDaemonConfigSchema = z
  .object({
    /**
     * The edges of the device's region, in order of preference: a device connects to the first that answers
     * and fails over to the next when its edge is lost. Give every device of a region the same list.
     */
    edges: z.array(z.string().regex(/^https?:\/\//, 'must be an http:// or https:// URL')).min(1),
    region: regionNameSchema,
    /** Shared-token mode: the region's device token (the edges' `token`). */
    token: z.string().min(8, 'must be at least 8 characters').optional(),
    /**
     * Credentials mode: a file of signed credentials, one per line (`strata credentials issue`); each device
     * of this process presents the one issued for its id.
     */
    credentialsFile: z.string().min(1).optional(),
    /** The data partition of the first device. */
    deviceIndex: z.number().int().min(0).default(0),
    /** Devices this process runs. */
    count: positiveInt.default(1),
    /** Node id of a single device (default `device-<deviceIndex + 1>`, as in the embedded runtime). */
    nodeId: z.string().min(1).max(256).optional(),
    compression: compressionSchema.default(compressionSchema.parse({})),
    /** /healthz and /metrics (default port 0: any free port, logged at startup). */
    http: httpOptionsSchema(0),
    /** How long a lost edge has to come back before the device moves to the next edge of its list. */
    failoverSeconds: z.number().positive().default(2),
    /** Added to every local training: emulates a slower device (tests, demos). */
    trainDelayMs: z.number().int().min(0).default(0),
    link: z
      .object({
        chunkBytes: positiveInt.optional(),
        maxFrameBytes: positiveInt.optional(),
        connectTimeoutMs: positiveInt.optional(),
        reconnectionDelayMs: positiveInt.optional(),
        reconnectionDelayMaxMs: positiveInt.optional(),
        /** A CA certificate (PEM file) to trust for `https://` edges besides the system's (a private CA). */
        caFile: z.string().min(1).optional(),
      })
      .strict()
      .default({}),
  })
  .strict()
  .refine((c) => c.token !== undefined || c.credentialsFile !== undefined, {
    message: 'set token (shared-token mode) or credentialsFile (credentials mode)',
    path: ['token'],
  })
  .refine((c) => c.nodeId === undefined || c.count === 1, {
    message: 'nodeId names a single device: use it with count 1',
    path: ['nodeId'],
  });

export type DeviceDaemonConfig = z.output<typeof deviceDaemonConfigSchema>;

/** Validates a device configuration; `sources` says where a user sets each option, for the error message. */
export function parseDeviceDaemonConfig(input: unknown, sources: OptionSources = {}): DeviceDaemonConfig {
  return parseConfig(deviceDaemonConfigSchema, input, 'device configuration', sources);
}
