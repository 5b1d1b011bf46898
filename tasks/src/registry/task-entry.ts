// What the CLI, the daemons and the simulator need to know about a task they can run by name: how to build it
// from a run configuration, which metrics head its tables, and its baselines for the final comparison.

import type { z } from 'zod';
import type { FederatedTask, RunConfig } from '@strata/shared';

/** Progress of a long baseline computation (a progress bar in the CLI). */
export interface BaselineProgress {
  start(total: number, detail: string): void;
  tick(detail?: string): void;
}

export interface TaskEntry {
  /** `family/model`, as `--task` takes it. */
  readonly name: string;
  readonly summary: string;
  /** Metrics shown in the per-round and final tables. */
  readonly headlineMetrics: readonly string[];
  /**
   * What `--task-option` can set (the run's seed, data and schedule are set elsewhere), each key with its
   * description and default: `strata tasks` lists them, and `create` refuses anything else.
   */
  readonly options: z.ZodObject;
  /** The task of `config` (its data and options); a bad option or missing file fails with its name. */
  create(config: RunConfig): Promise<{ task: FederatedTask; environment: Record<string, unknown> }>;
  /**
   * Run settings this task is measured with, used where the run's configuration leaves them unset (a flag, the
   * environment and a config file all win over them): the radiance tasks run with per-row norm clipping off.
   */
  readonly runDefaults?: { readonly clipFactor?: number };
  /** Named baseline results (e.g. centralized training of the same model, popularity). */
  baselines?(config: RunConfig, progress: BaselineProgress): Promise<Record<string, Record<string, number>>>;
}
