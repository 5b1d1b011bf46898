// Strategy options are validated once, when the strategy is made, so a bad `--strategy-option` fails at
// startup with a message naming the option, never mid-run.

import { z } from 'zod';
import { ConfigError } from '../../errors.js';

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

/** Parses `options` for strategy `strategy`; throws ConfigError naming the first bad or unknown option. */
export function parseStrategyOptions<S extends z.ZodObject>(strategy: string, schema: S, options: unknown): z.output<S> {
  const result = schema.safeParse(options ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const known = Object.keys(schema.shape).join(', ') || 'none';
  if (issue.code === 'unrecognized_keys') {
    throw new ConfigError(`strategy "${strategy}": unknown option "${issue.keys[0]}" (options: ${known})`);
  }
  if (issue.path.length === 0) {
    throw new ConfigError(`strategy "${strategy}": options must be an object of { ${known} }, got ${show(options)}`);
  }
  const option = issue.path.map(String).join('.');
  throw new ConfigError(`strategy "${strategy}": option "${option}": ${issue.message} (got ${show(valueAt(options, issue.path))})`);
}
