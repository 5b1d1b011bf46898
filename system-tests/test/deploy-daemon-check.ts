// A daemon as a deployment file starts it (arguments, environment, configuration file), resolved by the CLI's
// own field tables and the daemons' own schemas: what `strata <daemon>` would run with, or why it would refuse.
// Unknown flags, environment variables no daemon reads and invalid values are problems naming the file.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { parseCoordinatorDaemonConfig, type CoordinatorDaemonConfig } from '@strata/coordinator';
import { parseEdgeDaemonConfig, type EdgeDaemonConfig } from '@strata/edge-node';
import { parseDeviceDaemonConfig, type DeviceDaemonConfig } from '@strata/device-client';
import { findRepoRoot } from '@strata/tasks';
import {
  addConfigOptions,
  loadDaemonConfig,
  type ConfigField,
  splitTaskConfig,
  type DaemonTaskConfig,
  coordinatorFields,
  edgeFields,
  deviceFields,
} from '@strata/cli';

export type DaemonKind = 'coordinator' | 'edge' | 'device';

/**
 * Variables the processes read besides their configuration fields, and the source that reads each
 * (the test checks that it still does).
 */
export const PROCESS_VARIABLES: Readonly<Record<string, string>> = {
  STRATA_CONFIG: 'cli/src/flags/daemon-config.ts',
  STRATA_LOG_LEVEL: 'runtime/src/logging/create-logger.ts',
  STRATA_DATA_DIR: 'tasks/src/recsys/data/data-dir.ts',
  STRATA_TFJS_BACKEND: 'tasks/src/tfjs/tfjs-backend.ts',
};

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const TFJS_BACKENDS = ['auto', 'tfjs-node-gpu', 'tfjs-node', 'cpu'];

const FIELDS: Record<DaemonKind, readonly ConfigField[]> = { coordinator: coordinatorFields, edge: edgeFields, device: deviceFields };

export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

interface Resolved<K extends DaemonKind, C> {
  readonly kind: K;
  readonly where: string;
  readonly config: C;
  /** /healthz and /metrics. */
  readonly http: Endpoint;
  readonly env: Readonly<Record<string, string>>;
}

export type ResolvedDaemon =
  | (Resolved<'coordinator', CoordinatorDaemonConfig> & { readonly task: DaemonTaskConfig })
  | (Resolved<'edge', EdgeDaemonConfig> & { readonly devices: Endpoint })
  | (Resolved<'device', DeviceDaemonConfig> & { readonly task: DaemonTaskConfig });

export interface DaemonStart {
  /** Where it is declared, for the messages. */
  readonly where: string;
  /** `strata` CLI arguments: the daemon name, then its flags. */
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** Configuration files the start can read, by the path the daemon sees (a ConfigMap's mount, say). */
  readonly files?: ReadonlyMap<string, string>;
}

export function isDaemonKind(value: string | undefined): value is DaemonKind {
  return value === 'coordinator' || value === 'edge' || value === 'device';
}

/** The daemon `start` runs, with its validated configuration, or the problems that would stop it. */
export function resolveDaemon(start: DaemonStart): { daemon?: ResolvedDaemon; problems: string[] } {
  const { where, args } = start;
  const kind = args[0];
  if (!isDaemonKind(kind))
    return { problems: [`${where}: runs \`strata ${args.join(' ')}\`, which is not a daemon (coordinator, edge, device)`] };
  const fields = FIELDS[kind];
  const problems = checkVariables(where, kind, fields, start.env);
  const command = addConfigOptions(new Command(kind), fields)
    .exitOverride()
    .configureOutput({ writeErr: () => {}, writeOut: () => {} });
  try {
    command.parse(args.slice(1), { from: 'user' });
  } catch (error) {
    return { problems: [...problems, `${where}: strata ${kind} refuses its arguments: ${(error as Error).message}`] };
  }
  const flags = command.opts<Record<string, unknown>>();
  const scratch = mkdtempSync(join(tmpdir(), 'strata-deploy-'));
  try {
    const env = { ...start.env };
    const file = (flags.config as string | undefined) ?? env.STRATA_CONFIG;
    if (file !== undefined) {
      const content = start.files?.get(file);
      if (content === undefined)
        return { problems: [...problems, `${where}: the configuration file ${file} is not provided to the daemon`] };
      const local = join(scratch, 'config.yaml');
      writeFileSync(local, content);
      if (flags.config !== undefined) flags.config = local;
      else env.STRATA_CONFIG = local;
    }
    const raw = loadDaemonConfig(fields, flags, env);
    const base = { where, env: start.env };
    if (kind === 'edge') {
      const config = parseEdgeDaemonConfig(raw);
      return { daemon: { ...base, kind, config, http: config.http, devices: config.listen }, problems };
    }
    const { task, rest } = splitTaskConfig(raw, kind === 'coordinator');
    if (kind === 'coordinator') {
      const config = parseCoordinatorDaemonConfig(rest);
      return { daemon: { ...base, kind, config, task, http: config.http }, problems };
    }
    const config = parseDeviceDaemonConfig(rest);
    return { daemon: { ...base, kind, config, task, http: config.http }, problems };
  } catch (error) {
    return { problems: [...problems, `${where}: strata ${kind} refuses its configuration: ${(error as Error).message}`] };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function checkVariables(where: string, kind: DaemonKind, fields: readonly ConfigField[], env: Readonly<Record<string, string>>): string[] {
  const accepted = new Set([...fields.flatMap((f) => (f.env ? [f.env] : [])), ...Object.keys(PROCESS_VARIABLES)]);
  const problems: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (!accepted.has(name)) problems.push(`${where}: strata ${kind} does not read the environment variable ${name}`);
    if (name === 'STRATA_LOG_LEVEL' && !LOG_LEVELS.includes(value))
      problems.push(`${where}: STRATA_LOG_LEVEL ${JSON.stringify(value)} is not a level (${LOG_LEVELS.join(', ')})`);
    if (name === 'STRATA_TFJS_BACKEND' && !TFJS_BACKENDS.includes(value))
      problems.push(`${where}: STRATA_TFJS_BACKEND ${JSON.stringify(value)} is not one of ${TFJS_BACKENDS.join(', ')}`);
  }
  return problems;
}

/** Whether `host` accepts connections from other machines or containers. */
export function listensBeyondLoopback(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || !(host === 'localhost' || host.startsWith('127.') || host === '::1');
}

/** Whether the source PROCESS_VARIABLES names for `variable` still reads it. */
export function sourceReads(variable: string): boolean {
  const source = PROCESS_VARIABLES[variable];
  return source !== undefined && readFileSync(join(findRepoRoot(), source), 'utf8').includes(variable);
}
