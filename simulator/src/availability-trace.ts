// Availability trace files: when each traced device was online. CSV rows `device,start,end` (seconds from
// the start of the trace; `device` any label), `#` comments and an optional header row. A device group with
// a trace gives its k-th device the k-th traced device's intervals (cycling when the group is larger).

import { readFileSync } from 'node:fs';
import { ConfigError } from '@strata/shared';

export interface AvailabilityTrace {
  readonly source: string;
  /** Each traced device's online intervals in ms, [start, end) pairs flattened, sorted and merged. */
  readonly devices: readonly Float64Array[];
  /** The latest end of any interval (ms): the trace's length. */
  readonly lengthMs: number;
}

export function readAvailabilityTrace(path: string): AvailabilityTrace {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read availability trace ${path}: ${(error as Error).message}`);
  }
  return parseAvailabilityTrace(text, path);
}

export function parseAvailabilityTrace(text: string, source: string): AvailabilityTrace {
  const byDevice = new Map<string, [number, number][]>();
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') return;
    const fields = line.split(/\s*,\s*/);
    if (fields.length !== 3) throw new ConfigError(`${source}:${index + 1}: expected device,start,end, got "${raw}"`);
    const [device, startText, endText] = fields;
    const start = Number(startText);
    const end = Number(endText);
    if (Number.isNaN(start) && Number.isNaN(end) && byDevice.size === 0) return; // the header row
    if (!(Number.isFinite(start) && Number.isFinite(end) && start >= 0 && end > start)) {
      throw new ConfigError(`${source}:${index + 1}: an interval needs 0 <= start < end (seconds), got start ${startText}, end ${endText}`);
    }
    if (!byDevice.has(device)) byDevice.set(device, []);
    byDevice.get(device)!.push([Math.round(start * 1000), Math.round(end * 1000)]);
  });
  if (byDevice.size === 0) throw new ConfigError(`${source}: the availability trace has no intervals`);
  let lengthMs = 0;
  const devices = [...byDevice.keys()]
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
    .map((device) => {
      const intervals = byDevice.get(device)!.sort((a, b) => a[0] - b[0]);
      const merged: number[] = [];
      for (const [start, end] of intervals) {
        const last = merged.length - 1;
        if (last > 0 && start <= merged[last]) merged[last] = Math.max(merged[last], end);
        else merged.push(start, end);
        lengthMs = Math.max(lengthMs, end);
      }
      return Float64Array.from(merged);
    });
  return { source, devices, lengthMs };
}
