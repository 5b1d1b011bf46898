// The simulated data plane: TransportServer / TransportClient whose frames take simulated time. A request
// crosses the device's route down (latency + bytes / bandwidth on each link, bytes measured from the real
// frame), the device's real handler answers it, the device computes for the time its trainer charged (after
// any earlier work on that device), and the reply crosses the route up. Timeouts, disconnects and error
// replies behave as in the other transports (@strata/runtime/testing's transport contract runs against this one).

import {
  ConnectError,
  PeerDisconnectedError,
  RoundTimeoutError,
  StrataError,
  compareIds,
  invalidTimeout,
  peerRequestError,
  type ClientConnection,
  type LinkStats,
  type PeerConnection,
  type PeerInfo,
  type RequestHandler,
  type SeededRandom,
  type TimerHandle,
  type TransportClient,
  type TransportServer,
  emptyTierBytes,
  type Tier,
  type TierBytes,
} from '@strata/shared';
import { ComputeMeter, meterCompute } from './compute-meter.js';
import type { LinkDirection, LinkPipe, LossMode } from './link-pipe.js';
import type { ParticipationTimeline } from './participation-timeline.js';
import type { Settled, VirtualClock } from './virtual-clock.js';

export interface Hop {
  readonly pipe: LinkPipe;
  readonly direction: LinkDirection;
}

/** The links between a node and the node above it, in the order bytes cross them each way. */
export interface Route {
  /** Which tier boundary it crosses (a device's route to an edge in the cloud's region is device-cloud). */
  readonly tier: Tier;
  readonly up: readonly Hop[];
  readonly down: readonly Hop[];
}

/** What an error reply costs on the wire (its message and code; no tensors). */
export const ERROR_REPLY_BYTES = 128;

export interface SimNetworkOptions {
  readonly clock: VirtualClock;
  /** Draws compute jitter. Links draw latency jitter and loss from their own generators. */
  readonly random: SeededRandom;
  /** What a lost packet does on device links; control-plane traffic (jobs, blobs) always retransmits. */
  readonly lossMode?: LossMode;
  readonly timeline?: ParticipationTimeline;
}

export class SimNetwork {
  readonly clock: VirtualClock;
  private readonly servers = new Map<string, SimServer>();
  private readonly counters = emptyTierBytes();

  constructor(private readonly options: SimNetworkOptions) {
    this.clock = options.clock;
  }

  get timeline(): ParticipationTimeline | undefined {
    return this.options.timeline;
  }

  listen(address: string): SimServer {
    if (this.servers.has(address)) throw new StrataError('STRATA_ERR_ADDRESS_IN_USE', `address ${address} is in use`);
    const server = new SimServer(address, this, () => this.servers.delete(address));
    this.servers.set(address, server);
    return server;
  }

  /** The client side of one device: it reaches servers over `route`; its compute times vary by `computeJitter` (log-normal sigma). */
  endpoint(route: Route, computeJitter = 0): SimEndpoint {
    return new SimEndpoint(this, route, computeJitter);
  }

  /** Bytes that crossed each tier boundary so far (a copy). */
  bytes(): TierBytes {
    return { ...this.counters };
  }

  /** Carries a control-plane message (a job, a blob) over `route`; resolves when it has arrived. */
  carry(route: Route, direction: LinkDirection, bytes: number): Promise<void> {
    return new Promise((resolve) => this.send(route, direction, bytes, 'retransmit', resolve));
  }

  /** @internal */
  server(address: string): SimServer | undefined {
    return this.servers.get(address);
  }

  /** @internal A factor with mean 1 that scales one computation's duration. */
  computeFactor(sigma: number): number {
    return sigma > 0 ? Math.exp(sigma * this.options.random.normal() - (sigma * sigma) / 2) : 1;
  }

  /**
   * @internal Sends `bytes` over the route's links in `direction` (store and forward) and calls `arrived` at
   * the simulated time the last byte arrives; never, if a link loses the message. A route with no links
   * (a co-located edge) still delivers on a later event, as any link would.
   */
  send(route: Route, direction: LinkDirection, bytes: number, lossMode: LossMode | undefined, arrived: () => void): void {
    const hops = direction === 'up' ? route.up : route.down;
    if (hops.length > 0) this.counters[`${route.tier}${direction === 'up' ? 'Up' : 'Down'}`] += bytes;
    let time = this.clock.now();
    for (const hop of hops) {
      const next = hop.pipe.transmit(time, bytes, hop.direction, lossMode ?? this.options.lossMode);
      if (next === undefined) return;
      time = next;
    }
    this.clock.at(time, arrived);
  }
}

/** The client side of one simulated device. */
export class SimEndpoint implements TransportClient {
  /** When the device's processor is next free (simulated ms): work that arrives earlier waits. */
  busyUntil = 0;

  constructor(
    readonly network: SimNetwork,
    readonly route: Route,
    readonly computeJitter: number,
  ) {}

  async connect(address: string, info: PeerInfo, handler: RequestHandler): Promise<ClientConnection> {
    const server = this.network.server(address);
    if (!server) throw new ConnectError(`no simulated server listening at ${address}`);
    return server.accept(new SimConnection(info, handler, server, this));
  }
}

interface Call {
  open: boolean;
  timer: TimerHandle | undefined;
  resolve(reply: Uint8Array): void;
  reject(error: Error): void;
}

class SimConnection implements PeerConnection, ClientConnection {
  connected = true;
  private readonly calls = new Set<Call>();

  constructor(
    readonly info: PeerInfo,
    private readonly handler: RequestHandler,
    private readonly server: SimServer,
    private readonly endpoint: SimEndpoint,
  ) {}

  request(frame: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    const invalid = invalidTimeout(timeoutMs);
    if (invalid) return Promise.reject(invalid);
    if (!this.connected) return Promise.reject(new PeerDisconnectedError(this.info.nodeId));
    const { network } = this.endpoint;
    this.server.counters.bytesDown += frame.byteLength;
    return new Promise<Uint8Array>((resolve, reject) => {
      const call: Call = { open: true, timer: undefined, resolve, reject };
      call.timer = network.clock.setTimeout(
        () => this.finish(call, new RoundTimeoutError(`request to ${this.info.nodeId} timed out after ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.calls.add(call);
      network.send(this.endpoint.route, 'down', frame.byteLength, undefined, () => this.arrive(call, frame));
    });
  }

  async close(): Promise<void> {
    if (!this.connected) return;
    this.connected = false;
    for (const call of [...this.calls]) this.finish(call, new PeerDisconnectedError(this.info.nodeId));
    this.server.remove(this);
  }

  /** The request reached the device: it answers it for real, then computes for the simulated time charged. */
  private arrive(call: Call, frame: Uint8Array): void {
    // A device that left never saw the request; one whose request timed out still works on it, unaware.
    if (!this.connected) return;
    const { network } = this.endpoint;
    const arrivedAt = network.clock.now();
    const meter = new ComputeMeter();
    network.clock.runReal(
      () => meterCompute(meter, () => this.handler(frame)),
      (outcome) => {
        const start = Math.max(arrivedAt, this.endpoint.busyUntil);
        const end = start + meter.seconds * 1000 * network.computeFactor(this.endpoint.computeJitter);
        this.endpoint.busyUntil = end;
        network.timeline?.computed(start, end);
        network.clock.at(end, () => this.reply(call, outcome));
      },
    );
  }

  private reply(call: Call, outcome: Settled<Uint8Array>): void {
    if (!this.connected) return;
    const { network } = this.endpoint;
    const bytes = outcome.ok ? outcome.value.byteLength : ERROR_REPLY_BYTES;
    network.send(this.endpoint.route, 'up', bytes, undefined, () => {
      if (!call.open) return;
      network.timeline?.answered(network.clock.now());
      if (!outcome.ok) {
        this.finish(call, peerRequestError(this.info.nodeId, outcome.error));
        return;
      }
      this.server.counters.bytesUp += bytes;
      this.finish(call, undefined, outcome.value);
    });
  }

  private finish(call: Call, error: Error | undefined, reply?: Uint8Array): void {
    if (!call.open) return;
    call.open = false;
    if (call.timer !== undefined) this.endpoint.network.clock.clearTimeout(call.timer);
    this.calls.delete(call);
    if (error) call.reject(error);
    else call.resolve(reply!);
  }
}

export class SimServer implements TransportServer {
  readonly counters: LinkStats = { bytesDown: 0, bytesUp: 0 };
  private readonly connected = new Map<string, SimConnection>();
  private readonly listeners: ((peer: PeerConnection, event: 'connect' | 'disconnect') => void)[] = [];
  private sorted: PeerConnection[] | undefined;

  constructor(
    readonly address: string,
    private readonly network: SimNetwork,
    private readonly onClose: () => void,
  ) {}

  /** @internal */
  accept(connection: SimConnection): SimConnection {
    const previous = this.connected.get(connection.info.nodeId);
    // A second session for a connected id is refused, not the first one kicked (as on socket.io).
    if (previous?.connected) throw new ConnectError(`${connection.info.nodeId} is already connected in another session`);
    this.connected.set(connection.info.nodeId, connection);
    this.sorted = undefined;
    this.network.timeline?.connected(this.network.clock.now());
    for (const listener of this.listeners) listener(connection, 'connect');
    return connection;
  }

  /** @internal */
  remove(connection: SimConnection): void {
    if (this.connected.get(connection.info.nodeId) !== connection) return;
    this.connected.delete(connection.info.nodeId);
    this.sorted = undefined;
    this.network.timeline?.disconnected(this.network.clock.now());
    for (const listener of this.listeners) listener(connection, 'disconnect');
  }

  peers(): PeerConnection[] {
    this.sorted ??= [...this.connected.values()].sort((a, b) => compareIds(a.info.nodeId, b.info.nodeId));
    return this.sorted;
  }

  onPeerChange(listener: (peer: PeerConnection, event: 'connect' | 'disconnect') => void): void {
    this.listeners.push(listener);
  }

  stats(): LinkStats {
    return { ...this.counters };
  }

  async close(): Promise<void> {
    for (const connection of [...this.connected.values()]) await connection.close();
    this.onClose();
  }
}
