// Helpers of the distributed tests: daemons as separate OS processes (`node strata.js <daemon> ...`) whose
// JSON log lines can be awaited, a deployment on a fresh Redis prefix (cleaned up after), /metrics parsing.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { after, before } from 'node:test';
import { join } from 'node:path';
import { STRATA_BIN } from '@strata/cli';
import type { RunRecord } from '@strata/shared';
import { registerNodeEntropyCodecs } from '@strata/runtime/entropy';
import { deleteRedisKeys, requireRedis, TEST_REDIS_URL, uniqueRedisPrefix } from '@strata/runtime/testing';

// The tests read what the daemons write (brotli model blobs, compressed frames) as a daemon does, and the
// embedded runs they compare against compress as `strata run` does.
registerNodeEntropyCodecs();

export { STRATA_BIN };
export const TOKEN = 'test-device-token';

export interface LogLine {
  readonly msg?: string;
  readonly [key: string]: unknown;
}

/** A daemon process: its log lines (pino JSON on stderr) can be awaited, and it can be killed. */
export class DaemonProcess {
  readonly lines: LogLine[] = [];
  readonly exited: Promise<number | null>;
  private readonly waiters = new Set<() => void>();
  private readonly child: ChildProcess;
  private stderrTail = '';

  constructor(
    readonly name: string,
    script: string,
    args: readonly string[],
    env: Record<string, string> = {},
  ) {
    this.child = spawn(process.execPath, [script, ...args], {
      env: { ...process.env, STRATA_LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let buffer = '';
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk;
      const parts = buffer.split('\n');
      buffer = parts.pop()!;
      for (const text of parts) {
        this.stderrTail = `${this.stderrTail + text}\n`.slice(-4000);
        try {
          this.lines.push(JSON.parse(text) as LogLine);
        } catch {
          this.lines.push({ msg: text });
        }
      }
      for (const wake of [...this.waiters]) wake();
    });
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code) => {
        resolve(code);
        for (const wake of [...this.waiters]) wake();
      }),
    );
  }

  static strata(name: string, args: readonly string[], env: Record<string, string> = {}): DaemonProcess {
    return new DaemonProcess(name, STRATA_BIN, args, env);
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves with the first log line (already seen or to come) that `match` accepts. */
  waitFor(match: (line: LogLine) => boolean, what: string, timeoutMs = 30_000): Promise<LogLine> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const found = this.lines.find(match);
        if (found) done(() => resolve(found));
        else if (!this.running) done(() => reject(new Error(`${this.name} exited before ${what}; its log ends:\n${this.stderrTail}`)));
      };
      const done = (settle: () => void): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        settle();
      };
      const timer = setTimeout(
        () => done(() => reject(new Error(`${this.name}: timed out waiting for ${what}; its log ends:\n${this.stderrTail}`))),
        timeoutMs,
      );
      this.waiters.add(check);
      check();
    });
  }

  waitForMessage(msg: string, timeoutMs?: number): Promise<LogLine> {
    return this.waitFor((line) => line.msg === msg, `"${msg}"`, timeoutMs);
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.running) this.child.kill(signal);
  }
}

/** One test's deployment: a Redis prefix nobody else uses, and every process started for it. */
export class Deployment {
  readonly prefix = uniqueRedisPrefix('distributed')
    .replace(/[^A-Za-z0-9_.-]/g, '-')
    .replace(/-$/, '');
  readonly processes: DaemonProcess[] = [];

  /**
   * A coordinator that runs `args` to the end and exits (`--exit-when-done`), writing its run record under
   * `runsDir` and serving metrics on a free port.
   */
  startRun(runsDir: string, args: readonly string[], env: Record<string, string> = {}): DaemonProcess {
    return this.start('coordinator', ['coordinator', ...args, '--exit-when-done', '--runs-dir', runsDir, '--http-port', '0'], env);
  }

  /**
   * A hostile device process (`distributed-hostile-device.ts`) that connects to `edgeUrl` as `nodeId` and acts as
   * `behaviour`; `token` defaults to the deployment's, `name` (for its log lines) to the behaviour.
   */
  hostileDevice(
    edgeUrl: string,
    region: string,
    nodeId: string,
    behaviour: string,
    options: { token?: string; name?: string } = {},
  ): DaemonProcess {
    const args = [edgeUrl, region, nodeId, options.token ?? TOKEN, behaviour];
    const daemon = new DaemonProcess(options.name ?? behaviour, join(import.meta.dirname, 'distributed-hostile-device.js'), args);
    this.processes.push(daemon);
    return daemon;
  }

  start(name: string, args: readonly string[], env: Record<string, string> = {}): DaemonProcess {
    const daemon = DaemonProcess.strata(name, args, {
      STRATA_REDIS_URL: TEST_REDIS_URL,
      STRATA_REDIS_PREFIX: this.prefix,
      STRATA_TOKEN: TOKEN,
      ...env,
    });
    this.processes.push(daemon);
    return daemon;
  }

  /** An edge on free ports; resolves with its device URL and HTTP URL once it is ready. */
  async edge(region: string, extra: readonly string[] = []): Promise<{ daemon: DaemonProcess; url: string; http: string }> {
    const daemon = this.start(`edge ${region}`, ['edge', '--region', region, '--port', '0', '--http-port', '0', ...extra]);
    const ready = await daemon.waitForMessage('edge ready');
    return { daemon, url: ready.devices as string, http: ready.http as string };
  }

  /** `count` devices from partition `index` in one process; resolves once they are connected. */
  async devices(region: string, edges: readonly string[], index: number, extra: readonly string[] = [], count = 1): Promise<DaemonProcess> {
    const daemon = this.start(`devices ${index}`, [
      'device',
      '--region',
      region,
      '--edges',
      edges.join(','),
      '--device-index',
      String(index),
      '--count',
      String(count),
      '--http-port',
      '0',
      ...extra,
    ]);
    await daemon.waitForMessage('devices ready', 60_000);
    return daemon;
  }

  /**
   * The embedded topology's layout as processes: edges for region-1 and region-2, device partition k on edge
   * floor(k * 2 / 6) with node id device-<k+1>; resolves once each edge has its 3 devices.
   */
  async twoEdgesSixDevices(): Promise<{ daemon: DaemonProcess; url: string; http: string }[]> {
    const edges = await Promise.all([this.edge('region-1'), this.edge('region-2')]);
    await Promise.all(
      [0, 1, 2, 3, 4, 5].map((k) => {
        const region = k < 3 ? 0 : 1;
        return this.devices(`region-${region + 1}`, [edges[region].url], k);
      }),
    );
    for (const edge of edges) await waitForHealth(edge.http, (h) => h.devices === 3, '3 devices on the edge');
    return edges;
  }

  async stop(): Promise<void> {
    for (const daemon of this.processes) daemon.kill('SIGKILL');
    await Promise.all(this.processes.map((d) => d.exited));
    // BullMQ adds ':' after the prefix; blobs and state use `<prefix>:...` too.
    await deleteRedisKeys(`${this.prefix}:`);
  }
}

export async function getJson(url: string): Promise<Record<string, unknown>> {
  const response = await fetch(url);
  return (await response.json()) as Record<string, unknown>;
}

/** Polls `url`/healthz until `ready` accepts it. */
export async function waitForHealth(
  url: string,
  ready: (health: Record<string, unknown>) => boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const health = await getJson(`${url}/healthz`).catch(() => undefined);
    if (health && ready(health)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} at ${url}: last health ${JSON.stringify(health)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The samples of a Prometheus text exposition, by `name{labels}` as written (default labels included). */
export async function scrape(url: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const split = line.lastIndexOf(' ');
    samples.set(line.slice(0, split), Number(line.slice(split + 1)));
  }
  return samples;
}

/** The value of metric `name` whose labels include every pair of `labels` (0 when absent). */
export function metric(samples: Map<string, number>, name: string, labels: Record<string, string> = {}): number {
  for (const [key, value] of samples) {
    const brace = key.indexOf('{');
    if ((brace < 0 ? key : key.slice(0, brace)) !== name) continue;
    if (Object.entries(labels).every(([k, v]) => key.includes(`${k}="${v}"`))) return value;
  }
  return 0;
}

/**
 * The deployment one test file shares, and a scratch folder (named from `scratchName`): the file's tests need
 * Redis, and both are cleaned up after them.
 */
export function fileDeployment(scratchName: string): { deployment: Deployment; scratch: string } {
  const deployment = new Deployment();
  const scratch = mkdtempSync(join(tmpdir(), `strata-${scratchName}-`));
  before(() => requireRedis());
  after(async () => {
    await deployment.stop();
    rmSync(scratch, { recursive: true, force: true });
  });
  return { deployment, scratch };
}

/** The run record of the one run a coordinator wrote under `runsDir` (its `--runs-dir`). */
export function onlyRunRecord(runsDir: string): RunRecord {
  const folders = readdirSync(runsDir);
  if (folders.length !== 1) throw new Error(`expected one run folder in ${runsDir}, found ${folders.length}: ${folders.join(', ')}`);
  return JSON.parse(readFileSync(join(runsDir, folders[0], 'run.json'), 'utf8')) as RunRecord;
}
