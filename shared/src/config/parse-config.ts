// Validates options against a zod schema and turns the first problems into one ConfigError that names each
// offending option by its path (e.g. `schedule.kappa1: must be >= 1, got 0`).

import type { z } from 'zod';
import { ConfigError } from '../errors.js';

export function parseConfig<S extends z.ZodType>(schema: S, input: unknown, what = 'configuration'): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.slice(0, 5).map((issue) => {
    const path = issue.path.length > 0 ? issue.path.join('.') : '(root)';
    const received = valueAt(input, issue.path);
    const shown = received === undefined ? '' : `, got ${JSON.stringify(received)}`;
    return `${path}: ${issue.message}${shown}`;
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
