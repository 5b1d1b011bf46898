// A device process masks for many devices at once, each in slices with yieldToEventLoop between them; its
// sockets must still be read meanwhile, or the edge sees no pong for 20 s and drops every link of the process.
// Here 100 concurrent maskers each run 30 slices of about 1 ms of work while a loopback socket has a message
// waiting: the message must be read before the maskers finish (a zero timeout, which Node's timer phase keeps
// running while new ones fall due, read it only after all 3,000 slices). Counts slices, times nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type AddressInfo } from 'node:net';
import { yieldToEventLoop } from '../src/index.js';

function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // the CPU work of one slice (an X25519 agreement is ~3 ms here)
  }
}

test('sockets are read between the slices of many concurrent maskers', async () => {
  const maskers = 100;
  const slices = 30;
  let done = 0;
  let readAfter: number | undefined;
  const server = createServer((socket) => socket.end('pong'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
  await new Promise<void>((resolve) => client.once('connect', resolve));
  const read = new Promise<void>((resolve) =>
    client.once('data', () => {
      readAfter = done;
      resolve();
    }),
  );
  // The server's reply is written once the server sees the connection; from here on every slice competes with it.
  const masker = async (): Promise<void> => {
    for (let i = 0; i < slices; i++) {
      busy(1);
      done++;
      await yieldToEventLoop();
    }
  };
  await Promise.all([...Array.from({ length: maskers }, masker), read]);
  client.destroy();
  server.close();
  assert.ok(readAfter !== undefined);
  assert.ok(readAfter < maskers * slices, `the reply was read only after all ${readAfter} slices`);
});
