// Validates options against a zod schema and turns the first problems into one ConfigError that names each
// offending option by its path (e.g. `schedule.kappa1: must be >= 1, got 0`), and where a user sets it when
// the caller says (`token is required (--token or STRATA_TOKEN)`).

import type { z } from 'zod';
import { ConfigError } from '../errors.js';

/** Where a user sets an option, by its dotted path (e.g. `token` → `--token or STRATA_TOKEN`). */
export type OptionSources = Readonly<Record<string, string>>;

export function parseConfig<S extends z.ZodType>(
  schema: S,
  input: unknown,
  what = 'configuration',
  sources: OptionSources = {},
): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.slice(0, 5).map((issue) => {
    const path = issue.path.length > 0 ? issue.path.join('.') : '(root)';
    const received = valueAt(input, issue.path);
    const source = sources[path] === undefined ? '' : ` (${sources[path]})`;
    if (received === undefined && issue.code === 'invalid_type') return `${path} is required${source}`;
    const shown = received === undefined ? '' : `, got ${JSON.stringify(received)}`;
    return `${path}${source}: ${issue.message}${shown}`;
  });
  throw new ConfigError(`invalid ${what}: ${problems.join('; ')}`);
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value: unknown = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}
