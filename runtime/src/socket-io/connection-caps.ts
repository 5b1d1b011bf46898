// Caps on the TCP connections a server holds, counted before any byte is read: in all and per remote
// address, so idle or half-open connections from one host cannot starve the devices of the others; and a
// connection that stays silent before its websocket opens is closed.

import type { Server as HttpServer } from 'node:http';
import type { Socket } from 'node:net';
import { checkPositiveIntegers } from './link-limits.js';

export interface ConnectionCapOptions {
  /** Connections held at once (default 10,000). */
  readonly maxConnections?: number;
  /** Connections held at once from one remote address (default 256: devices behind one NAT share it). */
  readonly maxConnectionsPerAddress?: number;
}

export const DEFAULT_CONNECTION_CAPS = { maxConnections: 10_000, maxConnectionsPerAddress: 256 } as const;

/**
 * Counts the server's open TCP connections and closes, at once and counted, a connection above a cap.
 * `refuse` hears of each one closed, with the cap it broke.
 */
export function capConnections(
  http: HttpServer,
  options: ConnectionCapOptions,
  handshakeMs: number,
  refuse: (detail: string) => void,
): void {
  const maxConnections = options.maxConnections ?? DEFAULT_CONNECTION_CAPS.maxConnections;
  const perAddress = options.maxConnectionsPerAddress ?? DEFAULT_CONNECTION_CAPS.maxConnectionsPerAddress;
  checkPositiveIntegers({ maxConnections, maxConnectionsPerAddress: perAddress });
  const byAddress = new Map<string, number>();
  let open = 0;
  http.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? 'unknown';
    const fromAddress = byAddress.get(address) ?? 0;
    if (open >= maxConnections || fromAddress >= perAddress) {
      socket.destroy();
      refuse(
        open >= maxConnections
          ? `connection from ${address} closed: ${open} connections are open (maxConnections ${maxConnections})`
          : `connection from ${address} closed: it has ${fromAddress} open (maxConnectionsPerAddress ${perAddress})`,
      );
      return;
    }
    open++;
    byAddress.set(address, fromAddress + 1);
    // ws clears the timeout when the connection becomes a websocket (WebSocket.setSocket).
    socket.setTimeout(handshakeMs, () => socket.destroy());
    socket.once('close', () => {
      open--;
      const left = (byAddress.get(address) ?? 1) - 1;
      if (left === 0) byAddress.delete(address);
      else byAddress.set(address, left);
    });
  });
}
