// The fields of a configuration a user can set from the command line and the environment: one table per
// command (path in the configuration, flag, environment variable, type, help) drives its flags, its variables
// and its help, so they cannot drift. A schema validates the result.

import { Option, type Command } from 'commander';
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

function attribute(flag: string): string {
  return flag.replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** Adds one commander option per field (its flag, its help with the environment variable that sets it too). */
export function addFieldOptions(command: Command, fields: readonly ConfigField[]): Command {
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

/** Sets into `config` every field the environment gives (`STRATA_*`), converted to its type. */
export function applyEnvironment(config: Record<string, unknown>, fields: readonly ConfigField[], env: NodeJS.ProcessEnv): void {
  for (const field of fields) {
    const raw = field.env ? env[field.env] : undefined;
    if (raw !== undefined && raw !== '' && field.env) setPath(config, field.path, convert(field, raw, field.env));
  }
}

/** Sets into `config` every field the flags give, converted to its type. */
export function applyFlags(
  config: Record<string, unknown>,
  fields: readonly ConfigField[],
  flags: Readonly<Record<string, unknown>>,
): void {
  for (const field of fields) {
    const value = flags[attribute(field.flag)];
    if (value === undefined) continue;
    setPath(config, field.path, typeof value === 'string' && field.type !== 'string' ? convert(field, value, field.flag) : value);
  }
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

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Where each field is set from the command line, by its path: for error messages that say how to fix it. */
export function fieldSources(fields: readonly ConfigField[]): Record<string, string> {
  return Object.fromEntries(fields.map((field) => [field.path, field.env ? `${field.flag} or ${field.env}` : field.flag]));
}
