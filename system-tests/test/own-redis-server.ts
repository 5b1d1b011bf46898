// A redis-server of the test's own (never the shared instance the other tests use): empty, nothing kept on
// disk, on loopback. Tests that kill Redis or need TLS start one.

import { spawn, type ChildProcess } from 'node:child_process';

/** Starts `redis-server` with `args` (after --bind 127.0.0.1 --save "" --appendonly no); resolves once it accepts connections. */
export async function startOwnRedis(args: readonly string[]): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...args], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.setEncoding('utf8').on('data', (text: string) => {
      if (text.includes('Ready to accept connections')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`redis-server ${args.join(' ')} exited with ${code}`)));
  });
  return child;
}

/** Kills it (SIGKILL, as a crash) and waits for it to be gone. */
export async function killOwnRedis(redis: ChildProcess | undefined): Promise<void> {
  if (!redis || redis.exitCode !== null) return;
  const exited = new Promise((resolve) => redis.once('exit', resolve));
  redis.kill('SIGKILL');
  await exited;
}
