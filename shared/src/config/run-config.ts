// Everything a hierarchical run needs, validated at startup: a bad option fails with a ConfigError naming it.
// The CLI's flags map onto this shape; the resolved object goes into the run record.

import { z } from 'zod';
import { compressionSchema } from '../protocol/compression.js';
import { downlinkSchema } from '../protocol/model-downlink.js';
import { asyncConflict } from '../fl/async/async-schedule.js';
import { hierFavgScheduleSchema } from '../fl/hierfavg-schedule.js';
import { DEFAULT_UPDATE_DEFENCES, updateDefencesSchema } from './update-defences.js';
import { DEFAULT_PRIVACY, privacyConflict, privacySchema } from './privacy-config.js';
import { DEFAULT_SECURE_AGGREGATION, secureAggregationConflict, secureAggregationSchema } from './secure-aggregation-config.js';
import { parseConfig } from './parse-config.js';

/** Delimiters a shell makes awkward to type, by name; `\t` is read as a tab too. */
const DELIMITER_NAMES: Readonly<Record<string, string>> = { tab: '\t', '\\t': '\t', comma: ',', semicolon: ';', space: ' ', pipe: '|' };

export const dataSourceSchema = z
  .object({
    /** A data file; default: the shared ml-100k RecBole file. */
    path: z.string().min(1).optional(),
    /** Interaction files: their format (default recbole). Scenes are folders whose format their loader detects. */
    format: z.enum(['recbole', 'movielens-udata', 'movielens-dat', 'movielens-csv', 'delimited']).optional(),
    /** delimited only: the separator, or its name (tab, comma, semicolon, space, pipe). */
    delimiter: z
      .string()
      .min(1)
      .transform((d) => DELIMITER_NAMES[d] ?? d)
      .optional(),
    /** delimited only: the first line names the columns. */
    header: z.boolean().optional(),
    /** delimited only: user,item[,rating[,timestamp]] as column names or 0-based indices */
    columns: z
      .array(
        z.union([z.string().min(1), z.number().int().min(0)]).transform((c) => (typeof c === 'string' && /^\d+$/.test(c) ? Number(c) : c)),
      )
      .min(2)
      .max(4)
      .optional(),
    minRating: z.number().optional(),
    /** A row that cannot be read fails the run naming its line and column, or is skipped and counted. */
    badRows: z.enum(['fail', 'skip']).default('fail'),
  })
  .strict();

/** Option values as a user types them: the owner's schema (a task's, a strategy's) says which type each key takes. */
export const taskOptionValuesSchema = z.record(z.string(), z.union([z.number(), z.boolean(), z.string(), z.array(z.number())]));

export const runConfigSchema = z
  .object({
    task: z.string().default('recsys/bpr-mf'),
    data: dataSourceSchema.default({ badRows: 'fail' }),
    seed: z.number().int().min(0).default(0),
    topology: z
      .object({
        edges: z.number().int().min(1).default(2),
        /** Devices to run (default: one per data partition, e.g. every user). */
        devices: z.number().int().min(1).optional(),
      })
      .strict()
      .default({ edges: 2 }),
    schedule: hierFavgScheduleSchema.default(hierFavgScheduleSchema.parse({})),
    strategy: z
      .object({ name: z.string().default('fedavg'), options: z.record(z.string(), z.unknown()).default({}) })
      .strict()
      .default({ name: 'fedavg', options: {} }),
    edgeStrategy: z
      .object({ name: z.string().default('fedavg'), options: z.record(z.string(), z.unknown()).default({}) })
      .strict()
      .default({ name: 'fedavg', options: {} }),
    compression: compressionSchema.default(compressionSchema.parse({})),
    /** Norm clipping of device updates and the failed rounds a run tolerates. */
    defences: updateDefencesSchema.default(DEFAULT_UPDATE_DEFENCES),
    /** User-level differential privacy (DP-FedAvg with noise at the coordinator). */
    privacy: privacySchema.default(DEFAULT_PRIVACY),
    /** Secure aggregation at the edges (SecAgg+): an edge learns only its devices' sum. */
    secureAggregation: secureAggregationSchema.default(DEFAULT_SECURE_AGGREGATION),
    /** How edges send models down to devices. */
    downlink: downlinkSchema.default(downlinkSchema.parse({})),
    /** Task options (learning rate, dimensions, ...) overriding the task's defaults; the task's schema checks them. */
    taskOptions: taskOptionValuesSchema.default({}),
    /** Compare with the task's centralized baseline (and popularity for recommenders). */
    baselines: z.boolean().default(true),
    runsDir: z.string().default('runs'),
    report: z.boolean().default(true),
  })
  .strict()
  .superRefine((config, ctx) => {
    const conflict = privacyConflict(config.privacy, config.schedule.kappa2);
    if (conflict) ctx.addIssue({ code: 'custom', path: ['privacy', 'mode'], message: conflict });
    const secure = secureAggregationConflict(config.secureAggregation, config.edgeStrategy.name, config.privacy);
    if (secure) ctx.addIssue({ code: 'custom', path: ['secureAggregation', 'enabled'], message: secure });
    const asynchronous = asyncConflict(config.schedule.mode, config.edgeStrategy.name, config.privacy.mode);
    if (asynchronous) ctx.addIssue({ code: 'custom', path: ['schedule', 'mode'], message: asynchronous });
    const cloud = asyncConflict(config.schedule.cloud.mode, config.strategy.name, config.privacy.mode, 'cloud');
    if (cloud) ctx.addIssue({ code: 'custom', path: ['schedule', 'cloud', 'mode'], message: cloud });
  });

export type RunConfig = z.output<typeof runConfigSchema>;
export type DataSourceConfig = z.output<typeof dataSourceSchema>;

export function parseRunConfig(input: unknown): RunConfig {
  return parseConfig(runConfigSchema, input, 'run configuration');
}
