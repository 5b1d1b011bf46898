// Parses repeatable `key=value` flags (e.g. `--task-option lr=0.05`) into an object with numeric values
// where the value is a number, and booleans for true/false.

import { ConfigError } from '@strata/shared';

export function collectKeyValue(flag: string) {
  return (entry: string, previous: Record<string, number | boolean | string> = {}): Record<string, number | boolean | string> => {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new ConfigError(`${flag} expects key=value, got ${JSON.stringify(entry)}`);
    const key = entry.slice(0, eq).trim();
    const raw = entry.slice(eq + 1).trim();
    const value = raw === 'true' ? true : raw === 'false' ? false : raw !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
    return { ...previous, [key]: value };
  };
}

/** Only the numeric entries; a non-numeric value fails naming the flag and key. */
export function numericEntries(flag: string, entries: Record<string, number | boolean | string>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(entries)) {
    if (typeof value !== 'number') throw new ConfigError(`${flag} ${key} must be a number, got ${JSON.stringify(value)}`);
    out[key] = value;
  }
  return out;
}
