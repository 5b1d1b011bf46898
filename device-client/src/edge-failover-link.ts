// One device's link to its region's edges: connects to the first edge of its list that accepts it, and when
// that edge is lost for longer than the failover delay, moves to the next one, presenting the same node id
// and session id (it resumes there, it does not join as a stranger). Wrong credentials are fatal.

import type { Logger } from '@strata/shared';
import { AuthenticationError, SocketIoTransportClient, type SocketIoClientOptions } from '@strata/runtime/socket-io-client';
import type { DeviceClient } from './device-client.js';

export interface EdgeFailoverLinkOptions {
  readonly edges: readonly string[];
  readonly sessionId: string;
  readonly failoverMs: number;
  /** Transport options (token, limits, timeouts). */
  readonly transport: SocketIoClientOptions;
  readonly logger: Logger;
  readonly onFailover?: (from: string, to: string) => void;
}

const RETRY_DELAY_MS = 500;
const RETRY_DELAY_MAX_MS = 5000;

export class EdgeFailoverLink {
  private edgeIndex = 0;
  /** Bumped at each new connection, so events of an abandoned one are ignored. */
  private generation = 0;
  private failoverTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly device: DeviceClient,
    private readonly options: EdgeFailoverLinkOptions,
  ) {}

  get edge(): string {
    return this.options.edges[this.edgeIndex];
  }

  /** Resolves once connected to one of the edges (trying them in turn, with backoff); rejects on wrong credentials. */
  async connect(): Promise<void> {
    let delay = RETRY_DELAY_MS;
    for (;;) {
      for (let tried = 0; tried < this.options.edges.length; tried++) {
        if (this.stopped) return;
        const address = this.edge;
        const generation = ++this.generation;
        const transport = new SocketIoTransportClient({
          ...this.options.transport,
          sessionId: this.options.sessionId,
          onConnectionChange: (connected) => {
            if (generation === this.generation) this.changed(connected);
          },
        });
        try {
          await this.device.connect(transport, address);
          if (this.stopped) {
            await this.device.disconnect();
            return;
          }
          this.options.logger.info({ deviceId: this.device.nodeId, edge: address }, 'connected to edge');
          return;
        } catch (error) {
          if (error instanceof AuthenticationError) throw error;
          this.options.logger.warn({ deviceId: this.device.nodeId, edge: address, error: (error as Error).message }, 'edge unreachable');
          this.edgeIndex = (this.edgeIndex + 1) % this.options.edges.length;
        }
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(2 * delay, RETRY_DELAY_MAX_MS);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.generation++;
    clearTimeout(this.failoverTimer);
    await this.device.disconnect();
  }

  private changed(connected: boolean): void {
    clearTimeout(this.failoverTimer);
    if (connected) {
      this.options.logger.info({ deviceId: this.device.nodeId, edge: this.edge }, 'reconnected to edge');
      return;
    }
    this.options.logger.warn({ deviceId: this.device.nodeId, edge: this.edge }, 'edge connection lost');
    // socket.io-client keeps retrying the same edge meanwhile: a short outage resumes there.
    this.failoverTimer = setTimeout(() => void this.failover(), this.options.failoverMs);
  }

  private async failover(): Promise<void> {
    if (this.stopped || this.device.connected) return;
    const from = this.edge;
    this.generation++;
    await this.device.disconnect();
    if (this.options.edges.length > 1) this.edgeIndex = (this.edgeIndex + 1) % this.options.edges.length;
    this.options.onFailover?.(from, this.edge);
    this.options.logger.warn({ deviceId: this.device.nodeId, from, to: this.edge }, 'failing over to the next edge');
    try {
      await this.connect();
    } catch (error) {
      this.options.logger.error({ deviceId: this.device.nodeId, error: (error as Error).message }, 'failover refused');
    }
  }
}
