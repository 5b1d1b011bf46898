// The options of a strategy or a task (`--strategy-option`, `--task-option`, a config file's `options:`) are
// one zod schema per owner, with a description and a default per key: validation, defaults and the help
// text all derive from it. Options are validated once, when the owner is made, so a bad option fails at
// startup with a message naming it, never mid-run.

import type { z } from 'zod';
import { ConfigError } from '../errors.js';

function show(value: unknown): string {
  return value === undefined ? 'nothing' : typeof value === 'string' ? JSON.stringify(value) : String(value);
}

function valueAt(options: unknown, path: readonly PropertyKey[]): unknown {
  let value = options;
  for (const key of path) {
    value = value !== null && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  }
  return value;
}

/**
 * Parses `options` of `owner` (e.g. `strategy "fedadam"`, `task recsys/bpr-mf`) with `schema`; throws
 * ConfigError naming the first bad or unknown option and the allowed ones.
 */
export function parseOptions<S extends z.ZodObject>(owner: string, schema: S, options: unknown): z.output<S> {
  const result = schema.safeParse(options ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const known = Object.keys(schema.shape).join(', ') || 'none';
  if (issue.code === 'unrecognized_keys') {
    throw new ConfigError(`${owner}: unknown option "${issue.keys[0]}" (options: ${known})`);
  }
  if (issue.path.length === 0) {
    throw new ConfigError(`${owner}: options must be an object of { ${known} }, got ${show(options)}`);
  }
  const option = issue.path.map(String).join('.');
  throw new ConfigError(`${owner}: option "${option}": ${issue.message} (got ${show(valueAt(options, issue.path))})`);
}

/** An option as help shows it. */
export interface OptionHelp {
  readonly key: string;
  readonly defaultValue: unknown;
  readonly description: string;
}

/** Every option of `schema` with its default and description, in the schema's order. */
export function describeOptions(schema: z.ZodObject): OptionHelp[] {
  const defaults = schema.parse({}) as Record<string, unknown>;
  return Object.entries(schema.shape).map(([key, field]) => ({
    key,
    defaultValue: defaults[key],
    description: (field as z.ZodType).description ?? '',
  }));
}

/** `key=default` for each option, as one help line lists them. */
export function optionDefaults(schema: z.ZodObject): string {
  return describeOptions(schema)
    .map(({ key, defaultValue }) => `${key}=${formatOptionValue(defaultValue)}`)
    .join(', ');
}

export function formatOptionValue(value: unknown): string {
  if (Array.isArray(value)) return value.join(',');
  return value === null || value === undefined ? 'none' : String(value);
}
