// Where a daemon's configuration comes from: a file (YAML or JSON, `--config` or STRATA_CONFIG), STRATA_*
// environment variables, and flags, later ones overriding earlier ones, then validated by the daemon's schema.
// One table of fields per daemon drives its flags, its environment variables and its help, so they cannot drift.

import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { ConfigError, redactSecrets } from '@strata/shared';
import { addFieldOptions, applyEnvironment, applyFlags, isRecord, type ConfigField } from './config-fields.js';
import { dataFields } from './data-flags.js';

export type { ConfigField } from './config-fields.js';

export function addConfigOptions(command: Command, fields: readonly ConfigField[]): Command {
  command.option('--config <file>', 'configuration file, YAML or JSON (env STRATA_CONFIG); flags and env override it');
  command.option('--dry-run', 'check the configuration (and build the task), print it with secrets redacted, and exit');
  return addFieldOptions(command, fields);
}

/** `--dry-run`: the validated configuration (and the task it builds), secrets redacted, as JSON on stdout. */
export function printDryRun(resolved: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(redactSecrets(resolved), null, 2)}\n`);
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read configuration file ${path}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text); // YAML is a superset of JSON: one parser reads both
  } catch (error) {
    throw new ConfigError(`configuration file ${path} is not valid YAML or JSON: ${(error as Error).message}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (!isRecord(parsed))
    throw new ConfigError(`configuration file ${path} must hold a mapping of options, got ${JSON.stringify(parsed).slice(0, 80)}`);
  return parsed;
}

/** The configuration as the file, the environment and the flags give it (not validated yet). */
export function loadDaemonConfig(
  fields: readonly ConfigField[],
  flags: Record<string, unknown>,
  env: NodeJS.ProcessEnv = process.env,
): Record<string, unknown> {
  const file = (flags.config as string | undefined) ?? env.STRATA_CONFIG;
  const config = file ? readConfigFile(file) : {};
  applyEnvironment(config, fields, env);
  applyFlags(config, fields, flags);
  return config;
}

/** Where the coordinator and the edges find Redis. */
export const redisFields: readonly ConfigField[] = [
  {
    path: 'redis.url',
    flag: '--redis-url',
    env: 'STRATA_REDIS_URL',
    type: 'string',
    description: 'Redis URL (default redis://127.0.0.1:6379)',
  },
  {
    path: 'redis.prefix',
    flag: '--redis-prefix',
    env: 'STRATA_REDIS_PREFIX',
    type: 'string',
    description: 'key prefix of the deployment in Redis (default strata)',
  },
];

/** Every daemon's /healthz and /metrics endpoint. */
export const httpFields: readonly ConfigField[] = [
  {
    path: 'http.host',
    flag: '--http-host',
    env: 'STRATA_HTTP_HOST',
    type: 'string',
    description: 'interface of /healthz and /metrics (default 127.0.0.1)',
  },
  {
    path: 'http.port',
    flag: '--http-port',
    env: 'STRATA_HTTP_PORT',
    type: 'int',
    description: 'port of /healthz and /metrics (0: any free port)',
  },
];

/** The task fields of the coordinator and device daemons (both build the task from the registry). */
export const taskFields: readonly ConfigField[] = [
  { path: 'task', flag: '--task', env: 'STRATA_TASK', type: 'string', description: 'task to learn (default recsys/bpr-mf)' },
  ...dataFields,
  {
    path: 'taskOptions',
    flag: '--task-option',
    env: 'STRATA_TASK_OPTIONS',
    type: 'key-values',
    description: 'task option key=value, repeatable (env: comma-separated)',
  },
  {
    path: 'seed',
    flag: '--seed',
    env: 'STRATA_SEED',
    type: 'int',
    description: 'random seed (default 0): the same on every daemon of a run',
  },
];
