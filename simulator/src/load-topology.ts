// Reads a topology file (YAML, or JSON, which YAML includes), validates it, and reads the availability traces
// it names (relative to the file). Every problem is a ConfigError naming the file and the field's path.

import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError, parseConfig } from '@strata/shared';
import { readAvailabilityTrace, type AvailabilityTrace } from './availability-trace.js';
import { topologySchema, type Topology } from './topology-schema.js';

export interface LoadedTopology {
  readonly topology: Topology;
  /** The file it came from, if any. */
  readonly file?: string;
  /** The availability trace of each device group that has one, by group index. */
  readonly traces: ReadonlyMap<number, AvailabilityTrace>;
}

/** Command-line overrides, applied before validation so a bad value is reported like a bad field. */
export interface TopologyOverrides {
  readonly seed?: number;
  readonly rounds?: number;
  /** Fields of the schedule to replace (e.g. `{ mode: 'fedbuff', bufferSize: 10 }`), checked with the rest. */
  readonly schedule?: Readonly<Record<string, unknown>>;
}

export function loadTopology(path: string, overrides: TopologyOverrides = {}): LoadedTopology {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read topology file ${path}: ${(error as Error).message}`);
  }
  let input: unknown;
  try {
    input = parseYaml(text);
  } catch (error) {
    throw new ConfigError(`topology ${path} is not valid YAML or JSON: ${(error as Error).message}`);
  }
  return parseTopology(applyOverrides(input, overrides), { baseDir: dirname(file), file, what: `topology ${path}` });
}

/** `input` with the overrides applied (a topology object as read from its file). */
export function applyOverrides(input: unknown, { seed, rounds, schedule: fields }: TopologyOverrides): unknown {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return input;
  const topology = { ...(input as Record<string, unknown>) };
  if (seed !== undefined) topology.seed = seed;
  const defined: Record<string, unknown> = Object.fromEntries(
    Object.entries({ ...fields, rounds }).filter(([, value]) => value !== undefined),
  );
  if (Object.keys(defined).length > 0) {
    const schedule = topology.schedule;
    const before = (schedule !== null && typeof schedule === 'object' ? schedule : {}) as Record<string, unknown>;
    const cloud = defined.cloud as Record<string, unknown> | undefined;
    // The cloud schedule's fields replace the file's one by one, as the schedule's own do.
    if (cloud) defined.cloud = { ...(before.cloud as Record<string, unknown> | undefined), ...cloud };
    topology.schedule = { ...before, ...defined };
  }
  return topology;
}

/** Validates a topology object; trace files resolve against `baseDir`. */
export function parseTopology(input: unknown, options: { baseDir: string; file?: string; what?: string }): LoadedTopology {
  const what = options.what ?? 'topology';
  const topology = parseConfig(topologySchema, input, what);
  const traces = new Map<number, AvailabilityTrace>();
  topology.devices.forEach((group, k) => {
    if (group.availability.kind !== 'trace') return;
    try {
      traces.set(k, readAvailabilityTrace(resolve(options.baseDir, group.availability.file)));
    } catch (error) {
      throw new ConfigError(`invalid ${what}: devices.${k}.availability.file: ${(error as Error).message}`);
    }
  });
  return { topology, file: options.file, traces };
}
