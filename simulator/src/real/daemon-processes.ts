// The child processes of a real-network run (redis-server and the strata daemons): each with its output in a
// log file, a way to wait for a line or its exit, and one stop for all. A child that dies before it is told to
// stop fails the run with the end of its log.

import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { StrataError } from '@strata/shared';

/** A daemon of a real-network run died or did not come up. */
export class DaemonProcessError extends StrataError {
  constructor(message: string) {
    super('STRATA_ERR_DAEMON', message);
  }
}

export interface DaemonProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly logFile: string;
  /** Resolves with the exit code once the process has exited. */
  readonly exited: Promise<number | null>;
}

export class DaemonProcesses {
  private readonly processes: DaemonProcess[] = [];
  private stopping = false;
  private failure: ((error: DaemonProcessError) => void) | undefined;
  /** Rejects when a process dies before stop(): race it against what the run waits for. */
  readonly failed: Promise<never>;

  constructor(private readonly logDir: string) {
    this.failed = new Promise<never>((_, reject) => (this.failure = reject));
    this.failed.catch(() => {});
  }

  start(name: string, command: string, args: readonly string[], env: Record<string, string> = {}): DaemonProcess {
    const logFile = join(this.logDir, `${name}.log`);
    const log: WriteStream = createWriteStream(logFile);
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.pipe(log, { end: false });
    child.stderr!.pipe(log, { end: false });
    const exited = new Promise<number | null>((resolve) => {
      child.on('exit', (code) => {
        resolve(code);
        if (!this.stopping && code !== 0) this.failure?.(new DaemonProcessError(`${name} exited with code ${code}: ${tail(logFile)}`));
      });
      child.on('error', (error) => {
        resolve(null);
        this.failure?.(new DaemonProcessError(`${name} could not start (${command}): ${error.message}`));
      });
    });
    const process_: DaemonProcess = { name, child, logFile, exited };
    this.processes.push(process_);
    return process_;
  }

  /** Waits until `name`'s log has a line matching `pattern`. */
  async waitForLog(daemon: DaemonProcess, pattern: RegExp, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = readLog(daemon.logFile).match(pattern);
      if (match) return match[0];
      if (Date.now() > deadline)
        throw new DaemonProcessError(`${daemon.name} did not log ${pattern} within ${timeoutMs} ms: ${tail(daemon.logFile)}`);
      await Promise.race([new Promise((resolve) => setTimeout(resolve, 100)), this.failed]);
    }
  }

  /** SIGTERM to every process (last started first), SIGKILL to any still running after `graceMs`. */
  async stopAll(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    for (const p of [...this.processes].reverse()) {
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
      const timer = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
      await p.exited;
      clearTimeout(timer);
    }
  }
}

/** A port nobody listens on now (the OS's choice; a later listener may in theory take it first). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function readLog(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function tail(file: string): string {
  return readLog(file).trim().split('\n').slice(-5).join(' | ').slice(-1200);
}
