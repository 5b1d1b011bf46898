// A TCP proxy that shapes the real byte stream between two tiers as a topology's links say: every chunk read
// from one side crosses the route's links (latency with jitter, bandwidth shared first-come first-served,
// loss as retransmission delay) before it is written to the other side, in order. The links are the
// simulator's own LinkPipes, so a real-network run and a virtual-clock run of one topology time bytes the same
// way, and proxies that share a link (a region's backhaul) share its bandwidth. Loss never drops bytes: a TCP
// stream cannot lose them, it waits for their retransmission.

import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { systemClock, type Clock } from '@strata/shared';
import type { Hop } from '../sim-network.js';

export interface ShapedRoute {
  /** Links crossed from the connecting side to the target (device to edge, edge to Redis). */
  readonly up: readonly Hop[];
  readonly down: readonly Hop[];
}

export interface ShapingProxyOptions {
  readonly target: { readonly host: string; readonly port: number };
  /** Where to listen (default 127.0.0.1, any free port). */
  readonly listen?: { readonly host?: string; readonly port?: number };
  /** The links one new connection crosses (a per-connection access link, shared backhauls, ...). */
  readonly route: () => ShapedRoute;
  /** Times deliveries (default: the system clock). */
  readonly clock?: Clock;
  /** Bytes in flight per direction of a connection above which its source is paused (default 4 MiB). */
  readonly highWaterMark?: number;
}

export interface ShapingProxyStats {
  connections: number;
  /** Bytes read from the connecting side / written to it. */
  bytesUp: number;
  bytesDown: number;
  /** Bytes delivered (written to the far side) each way. */
  deliveredUp: number;
  deliveredDown: number;
}

export class ShapingProxy {
  private readonly sockets = new Set<Socket>();
  private readonly counters: ShapingProxyStats = { connections: 0, bytesUp: 0, bytesDown: 0, deliveredUp: 0, deliveredDown: 0 };

  private constructor(
    private readonly server: Server,
    private readonly options: ShapingProxyOptions,
  ) {}

  static async start(options: ShapingProxyOptions): Promise<ShapingProxy> {
    const server = createServer();
    const proxy = new ShapingProxy(server, options);
    server.on('connection', (socket) => proxy.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.listen?.port ?? 0, options.listen?.host ?? '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  stats(): ShapingProxyStats {
    return { ...this.counters };
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    this.counters.connections++;
    // No Nagle on either leg: the links alone time the bytes. With it, a write smaller than a segment waited for
    // the ACK of the one before, which the peer delays by up to 40 ms (Linux), a stall no link profile has.
    client.setNoDelay(true);
    const upstream = createConnection({ ...this.options.target, noDelay: true });
    this.track(client);
    this.track(upstream);
    const route = this.options.route();
    const clock = this.options.clock ?? systemClock;
    const highWaterMark = this.options.highWaterMark ?? 4 * 2 ** 20;
    const up = new ShapedDirection(
      client,
      upstream,
      route.up,
      clock,
      highWaterMark,
      (n) => (this.counters.bytesUp += n),
      (n) => (this.counters.deliveredUp += n),
    );
    const down = new ShapedDirection(
      upstream,
      client,
      route.down,
      clock,
      highWaterMark,
      (n) => (this.counters.bytesDown += n),
      (n) => (this.counters.deliveredDown += n),
    );
    // A side that closes closes the other once what it sent has been delivered; an error closes both at once.
    client.on('end', () => up.endAfterDelivery());
    upstream.on('end', () => down.endAfterDelivery());
    const fail = (): void => {
      up.stop();
      down.stop();
      client.destroy();
      upstream.destroy();
    };
    client.on('error', fail);
    upstream.on('error', fail);
    client.on('close', () => upstream.end());
    upstream.on('close', () => client.end());
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
  }
}

/** One direction of one connection: reads, times each chunk over the links, writes in order. */
class ShapedDirection {
  // Chunks waiting for their delivery time, in order; one timer waits for the head, so order never depends
  // on how the clock orders timers that fall due together.
  private readonly queue: { at: number; chunk: Buffer }[] = [];
  private lastDelivery = Number.NEGATIVE_INFINITY;
  private inFlight = 0;
  private ending = false;
  private stopped = false;
  private timer: ReturnType<Clock['setTimeout']> | undefined;

  constructor(
    private readonly from: Socket,
    private readonly to: Socket,
    private readonly hops: readonly Hop[],
    private readonly clock: Clock,
    private readonly highWaterMark: number,
    onRead: (bytes: number) => void,
    private readonly onDelivered: (bytes: number) => void,
  ) {
    from.on('data', (chunk: Buffer) => {
      onRead(chunk.byteLength);
      this.schedule(chunk);
    });
  }

  endAfterDelivery(): void {
    this.ending = true;
    if (this.inFlight === 0) this.to.end();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
  }

  private schedule(chunk: Buffer): void {
    if (this.stopped) return;
    let at = this.clock.now();
    for (const hop of this.hops) at = hop.pipe.transmit(at, chunk.byteLength, hop.direction, 'retransmit')!;
    // A stream arrives in order: no chunk overtakes the one before it, whatever its jitter.
    at = Math.max(at, this.lastDelivery);
    this.lastDelivery = at;
    this.queue.push({ at, chunk });
    this.inFlight += chunk.byteLength;
    if (this.inFlight > this.highWaterMark) this.from.pause();
    if (this.timer === undefined) this.wait();
  }

  private wait(): void {
    const head = this.queue[0];
    if (head === undefined) return;
    this.timer = this.clock.setTimeout(
      () => {
        this.timer = undefined;
        this.deliverDue();
      },
      Math.max(0, head.at - this.clock.now()),
    );
  }

  private deliverDue(): void {
    if (this.stopped) return;
    const now = this.clock.now();
    while (this.queue.length > 0 && this.queue[0].at <= now) {
      const { chunk } = this.queue.shift()!;
      this.inFlight -= chunk.byteLength;
      this.onDelivered(chunk.byteLength);
      this.to.write(chunk);
    }
    if (this.inFlight <= this.highWaterMark / 2 && this.from.isPaused()) this.from.resume();
    if (this.ending && this.inFlight === 0) this.to.end();
    this.wait();
  }
}
