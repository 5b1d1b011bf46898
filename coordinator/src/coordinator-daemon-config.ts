// The coordinator daemon's configuration, validated at startup: a bad option fails with a ConfigError naming
// it. The task (name, data, options) is configured beside it by the CLI, which builds the FederatedTask.

import { z } from 'zod';
import {
  downlinkSchema,
  hierFavgScheduleSchema,
  httpOptionsSchema,
  parseConfig,
  redisOptionsSchema,
  regionNameSchema,
  strategyOptionsSchema,
  updateDefencesSchema,
  DEFAULT_UPDATE_DEFENCES,
  DEFAULT_PRIVACY,
  privacyConflict,
  secureAggregationConflict,
  secureAggregationSchema,
  DEFAULT_SECURE_AGGREGATION,
  privacySchema,
  asyncConflict,
  type OptionSources,
} from '@strata/shared';
import { dashboardOptionsSchema } from '@strata/dashboard';

export const coordinatorDaemonConfigSchema = z
  .object({
    /** The regions of the deployment: one edge-round job per region each cloud round. */
    regions: z
      .array(regionNameSchema)
      .min(1)
      .refine((r) => new Set(r).size === r.length, 'must not repeat a region'),
    schedule: hierFavgScheduleSchema.default(hierFavgScheduleSchema.parse({})),
    /** The cloud aggregation strategy and server optimizer. */
    strategy: strategyOptionsSchema,
    /** Norm clipping of device updates at the edges and the failed rounds a run tolerates. */
    defences: updateDefencesSchema.default(DEFAULT_UPDATE_DEFENCES),
    /** User-level differential privacy (DP-FedAvg with noise at the coordinator). */
    privacy: privacySchema.default(DEFAULT_PRIVACY),
    /** Secure aggregation (SecAgg+) at the edges: an edge learns only its devices' sum. */
    secureAggregation: secureAggregationSchema.default(DEFAULT_SECURE_AGGREGATION),
    /**
     * How the edges send models down to their devices: sent to them in every job (the run's, like the schedule),
     * and checked against the task at start (radiance/gaussians, recsys/lightgcn and recsys/kgat need it lossless).
     */
    downlink: downlinkSchema.default(downlinkSchema.parse({})),
    seed: z.number().int().min(0).default(0),
    redis: redisOptionsSchema.default(redisOptionsSchema.parse({})),
    http: httpOptionsSchema(9400),
    /**
     * The coordinator lease: one coordinator per deployment. A successor of a killed coordinator waits up to
     * this long for the lease to expire.
     */
    leaseSeconds: z.number().positive().default(15),
    /** Exit once the run is done (default: keep serving /healthz and /metrics until stopped). */
    exitWhenDone: z.boolean().default(false),
    /** Forget the saved state and start a new run instead of resuming. */
    reset: z.boolean().default(false),
    /** Where the run record goes (runs/<id>/run.json). */
    runsDir: z.string().min(1).default('runs'),
    /** Largest edge update blob accepted. */
    maxUpdateBytes: z.number().int().positive().optional(),
    /** The live dashboard at `/` of the HTTP endpoint. */
    dashboard: dashboardOptionsSchema.default(dashboardOptionsSchema.parse({})),
  })
  .strict()
  .superRefine((config, ctx) => {
    const conflict = privacyConflict(config.privacy, config.schedule.kappa2);
    if (conflict) ctx.addIssue({ code: 'custom', path: ['privacy', 'mode'], message: conflict });
    // The edges' strategies are the edge daemons' own settings: an edge with a robust one refuses the jobs.
    const secure = secureAggregationConflict(config.secureAggregation, 'fedavg', config.privacy);
    if (secure) ctx.addIssue({ code: 'custom', path: ['secureAggregation', 'enabled'], message: secure });
    const cloud = asyncConflict(config.schedule.cloud.mode, config.strategy.name, config.privacy.mode, 'cloud');
    if (cloud) ctx.addIssue({ code: 'custom', path: ['schedule', 'cloud', 'mode'], message: cloud });
  });

export type CoordinatorDaemonConfig = z.output<typeof coordinatorDaemonConfigSchema>;

/** Validates a coordinator configuration; `sources` says where a user sets each option, for the error message. */
export function parseCoordinatorDaemonConfig(input: unknown, sources: OptionSources = {}): CoordinatorDaemonConfig {
  return parseConfig(coordinatorDaemonConfigSchema, input, 'coordinator configuration', sources);
}
