// The device link over TLS: an edge serving `https://` / `wss://` with its certificate, a device trusting it
// through its CA, and a device that does not trust it refused before any credential is sent.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnectError } from '@strata/shared';
import { SocketIoTransportClient, SocketIoTransportServer } from '../src/index.js';
import { selfSignedCertificate } from '../src/testing/index.js';

const dir = mkdtempSync(join(tmpdir(), 'strata-tls-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The edge's certificate and key, as PEM text. */
function selfSigned(): { cert: string; key: string } {
  const { certPath, keyPath } = selfSignedCertificate(dir, 'strata-edge');
  return { cert: readFileSync(certPath, 'utf8'), key: readFileSync(keyPath, 'utf8') };
}

test('a device trusting the edge certificate works over wss://; one that does not is refused', async () => {
  const tls = selfSigned();
  const server = await SocketIoTransportServer.listen({ token: 'tier-secret', tls });
  try {
    assert.match(server.address, /^https:\/\/127\.0\.0\.1:\d+$/);
    const trusting = await new SocketIoTransportClient({ token: 'tier-secret', ca: tls.cert }).connect(
      server.address,
      { nodeId: 'device-1', role: 'device' },
      async (frame) => frame.map((b) => 255 - b),
    );
    try {
      assert.deepEqual(await server.peers()[0].request(Uint8Array.of(0, 1), 5000), Uint8Array.of(255, 254));
    } finally {
      await trusting.close();
    }
    await assert.rejects(
      new SocketIoTransportClient({ token: 'tier-secret', connectTimeoutMs: 3000 }).connect(
        server.address,
        { nodeId: 'device-2', role: 'device' },
        async (f) => f,
      ),
      (e: Error) => e instanceof ConnectError && /self[- ]signed certificate/i.test(e.message),
    );
  } finally {
    await server.close();
  }
});
