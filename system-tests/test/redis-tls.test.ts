// Redis over TLS: a `rediss://` URL and the operator's CA (NODE_EXTRA_CA_CERTS, read by Node at start-up)
// are all the daemons need. Its own redis-server with a TLS port and a self-signed certificate; a process
// using the blob and state stores as the daemons do stores and reads over TLS, and one without the CA is
// refused by certificate verification.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'strata-redis-tls-'));
const [cert, key] = [join(dir, 'redis.crt'), join(dir, 'redis.key')];
let redis: ReturnType<typeof spawn> | undefined;
after(() => {
  redis?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

// What a daemon does with Redis: a blob round trip through the runtime's store.
const CLIENT = `
import { RedisBlobStore } from '@strata/runtime/redis';
const store = new RedisBlobStore({ url: process.env.URL, prefix: 'tls-test:' });
try {
  await store.put('k', Uint8Array.of(1, 2, 3));
  const back = await store.get('k');
  console.log(JSON.stringify([...back]));
} finally {
  await store.close();
}`;

test('the runtime talks to Redis over rediss:// when the CA is trusted, and not otherwise', { timeout: 60_000 }, async (t) => {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.status !== 0) return t.skip('redis-server is not installed');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=strata-redis',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  const port = await freePort();
  redis = spawn(
    'redis-server',
    [
      '--port',
      '0',
      '--tls-port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--tls-cert-file',
      cert,
      '--tls-key-file',
      key,
      '--tls-ca-cert-file',
      cert,
      '--tls-auth-clients',
      'no',
      '--save',
      '',
      '--appendonly',
      'no',
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  await new Promise<void>((resolve, reject) => {
    redis?.stdout?.setEncoding('utf8').on('data', (text: string) => text.includes('Ready to accept connections') && resolve());
    redis?.once('exit', (code) => reject(new Error(`redis-server exited with ${code} (built without TLS?)`)));
  });
  const client = (extra: Record<string, string>) =>
    spawnSync(process.execPath, ['--input-type=module', '-e', CLIENT], {
      cwd: join(import.meta.dirname, '..'),
      env: { ...process.env, URL: `rediss://127.0.0.1:${port}`, ...extra },
      encoding: 'utf8',
      timeout: 8000,
    });
  const trusted = client({ NODE_EXTRA_CA_CERTS: cert });
  assert.equal(trusted.stdout.trim(), '[1,2,3]', trusted.stderr);
  const untrusted = client({});
  assert.notEqual(untrusted.stdout.trim(), '[1,2,3]');
});
