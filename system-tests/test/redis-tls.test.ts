// Redis over TLS: a `rediss://` URL and the operator's CA (NODE_EXTRA_CA_CERTS, read by Node at start-up)
// are all the daemons need. Its own redis-server with a TLS port and a self-signed certificate; a process
// using the blob and state stores as the daemons do stores and reads over TLS, and one without the CA is
// refused by certificate verification.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selfSignedCertificate } from '@strata/runtime/testing';
import { freePort } from '@strata/simulator';
import { killOwnRedis, startOwnRedis } from './own-redis-server.js';

const dir = mkdtempSync(join(tmpdir(), 'strata-redis-tls-'));
let redis: ChildProcess | undefined;
after(async () => {
  await killOwnRedis(redis);
  rmSync(dir, { recursive: true, force: true });
});

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
  const { certPath: cert, keyPath: key } = selfSignedCertificate(dir, 'strata-redis');
  const port = await freePort();
  redis = await startOwnRedis([
    '--port',
    '0',
    '--tls-port',
    String(port),
    '--tls-cert-file',
    cert,
    '--tls-key-file',
    key,
    '--tls-ca-cert-file',
    cert,
    '--tls-auth-clients',
    'no',
  ]);
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
