// Where a daemon's configuration comes from: a file (YAML or JSON, `--config` or STRATA_CONFIG), STRATA_*
// environment variables, and flags, later ones overriding earlier ones, then validated by the daemon's schema.
// One table of fields per daemon drives its flags, its environment variables and its help, so they cannot drift.

import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '@strata/shared';
import { collectKeyValue, type OptionValue } from './parse-key-values.js';

export type FieldType = 'string' | 'int' | 'number' | 'list' | 'boolean' | 'key-values';

export interface ConfigField {
  /** Dotted path in the configuration, e.g. `redis.url`. */
  readonly path: string;
  /** The long flag, e.g. `--redis-url`. */
  readonly flag: string;
  /** The environment variable, e.g. `STRATA_REDIS_URL`. */
  readonly env?: string;
  readonly type: FieldType;
  readonly description: string;
  /** Allowed values, for the help and for commander's check. */
  readonly choices?: readonly string[];
}

type Flags = Record<string, unknown>;

function attribute(flag: string): string {
  return flag.replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

export function addConfigOptions(command: Command, fields: readonly ConfigField[]): Command {
  command.option('--config <file>', 'configuration file, YAML or JSON (env STRATA_CONFIG); flags and env override it');
  for (const field of fields) {
    const env = field.env ? ` (env ${field.env})` : '';
    const placeholder =
      field.type === 'boolean' ? '' : field.type === 'key-values' ? ' <key=value>' : ` <${field.type === 'list' ? 'a,b,...' : 'value'}>`;
    const option = new Option(`${field.flag}${placeholder}`, `${field.description}${env}`);
    if (field.choices) option.choices(field.choices);
    if (field.type === 'key-values') option.argParser(collectKeyValue(field.flag));
    command.addOption(option);
  }
  return command;
}

/** `raw` as the field's type; `source` names the flag or variable in the error. */
function convert(field: ConfigField, raw: string, source: string): unknown {
  switch (field.type) {
    case 'string':
      return raw;
    case 'list':
      return raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
    case 'boolean':
      if (raw === 'true' || raw === '1') return true;
      if (raw === 'false' || raw === '0') return false;
      throw new ConfigError(`${source} must be true or false, got ${JSON.stringify(raw)}`);
    case 'int':
    case 'number': {
      const value = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(value) || (field.type === 'int' && !Number.isInteger(value))) {
        throw new ConfigError(`${source} must be ${field.type === 'int' ? 'an integer' : 'a number'}, got ${JSON.stringify(raw)}`);
      }
      return value;
    }
    case 'key-values':
      return raw.split(',').reduce<Record<string, OptionValue>>((all, entry) => collectKeyValue(source)(entry, all), {});
  }
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  const last = keys[keys.length - 1];
  const previous = node[last];
  // Key-value maps merge (a flag adds to what the file says); everything else replaces.
  node[last] = isRecord(previous) && isRecord(value) ? { ...previous, ...value } : value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
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
  flags: Flags,
  env: NodeJS.ProcessEnv = process.env,
): Record<string, unknown> {
  const file = (flags.config as string | undefined) ?? env.STRATA_CONFIG;
  const config = file ? readConfigFile(file) : {};
  for (const field of fields) {
    const raw = field.env ? env[field.env] : undefined;
    if (raw !== undefined && raw !== '') setPath(config, field.path, convert(field, raw, field.env!));
  }
  for (const field of fields) {
    const value = flags[attribute(field.flag)];
    if (value === undefined) continue;
    setPath(config, field.path, typeof value === 'string' && field.type !== 'string' ? convert(field, value, field.flag) : value);
  }
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
  {
    path: 'data.path',
    flag: '--data',
    env: 'STRATA_DATA',
    type: 'string',
    description: 'interaction file (default: the shared MovieLens 100K)',
  },
  {
    path: 'data.format',
    flag: '--format',
    type: 'string',
    description: 'format of --data (default recbole)',
    choices: ['recbole', 'movielens-udata', 'movielens-dat', 'movielens-csv', 'delimited'],
  },
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
