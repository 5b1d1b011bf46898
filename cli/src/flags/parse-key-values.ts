// Parses repeatable `key=value` flags (e.g. `--task-option itemLearningRate=0.5`) into an object: numbers
// where the value is a number, booleans for true/false, comma-separated numbers as a list, strings otherwise.
// The owner's option schema then says whether each key's type is right.

import { ConfigError } from '@strata/shared';

export type OptionValue = number | boolean | string | number[];

export function collectKeyValue(flag: string) {
  return (entry: string, previous: Record<string, OptionValue> = {}): Record<string, OptionValue> => {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new ConfigError(`${flag} expects key=value, got ${JSON.stringify(entry)}`);
    const key = entry.slice(0, eq).trim();
    const raw = entry.slice(eq + 1).trim();
    return { ...previous, [key]: parseValue(raw) };
  };
}

const isNumber = (raw: string): boolean => raw !== '' && Number.isFinite(Number(raw));

function parseValue(raw: string): OptionValue {
  if (raw === 'true' || raw === 'false') return raw === 'true';
  if (isNumber(raw)) return Number(raw);
  const parts = raw.split(',').map((part) => part.trim());
  return parts.length > 1 && parts.every(isNumber) ? parts.map(Number) : raw;
}
