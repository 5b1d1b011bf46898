// One shaped link: latency with jitter, a bandwidth per direction shared first-come first-served by
// everything that crosses it, and packet loss (each lost packet costs a retransmission timeout, or loses the
// whole message). The simulated network and the real-network shaping proxy both time their bytes with it.

import type { SeededRandom } from '@strata/shared';

export interface LinkProfile {
  /** One-way latency. */
  readonly latencyMs: number;
  /** Standard deviation of the one-way latency (normal, clamped at zero). */
  readonly jitterMs: number;
  /** Bandwidth towards the cloud (device to edge, edge to cloud). Megabits (10^6 bits) per second. */
  readonly upMbps: number;
  /** Bandwidth away from the cloud. */
  readonly downMbps: number;
  /** Probability that one packet is lost, in [0, 1). */
  readonly loss: number;
}

export type LinkDirection = 'up' | 'down';

/** `retransmit`: a lost packet delays its message by one retransmission timeout (TCP); `drop`: it loses the message. */
export type LossMode = 'retransmit' | 'drop';

/** Payload bytes per packet (the TCP maximum segment size on Ethernet). */
export const PACKET_BYTES = 1460;

/** Linux's minimum TCP retransmission timeout. */
export const MIN_RTO_MS = 200;

export class LinkPipe {
  private freeUp = Number.NEGATIVE_INFINITY;
  private freeDown = Number.NEGATIVE_INFINITY;

  constructor(
    readonly profile: LinkProfile,
    private readonly random: SeededRandom,
  ) {}

  /**
   * Sends `bytes` that reach this link at `atMs`: they wait for earlier messages in the same direction, take
   * bytes / bandwidth to put on the link, then the latency (and retransmission timeouts) to cross it. Returns
   * when the last byte arrives at the far end, or undefined when the message is lost (`drop` mode).
   */
  transmit(atMs: number, bytes: number, direction: LinkDirection, lossMode: LossMode = 'retransmit'): number | undefined {
    const { upMbps, downMbps, loss } = this.profile;
    const bytesPerMs = (direction === 'up' ? upMbps : downMbps) * 125;
    const start = Math.max(atMs, direction === 'up' ? this.freeUp : this.freeDown);
    const end = start + bytes / bytesPerMs;
    if (direction === 'up') this.freeUp = end;
    else this.freeDown = end;
    let arrival = end + this.latencyMs();
    if (loss > 0) {
      const packets = Math.max(1, Math.ceil(bytes / PACKET_BYTES));
      if (lossMode === 'drop') {
        if (this.random.next() < 1 - (1 - loss) ** packets) return undefined;
      } else {
        arrival += binomial(packets, loss, this.random) * this.retransmissionTimeoutMs();
      }
    }
    return arrival;
  }

  /** One draw of the one-way latency. */
  latencyMs(): number {
    const { latencyMs, jitterMs } = this.profile;
    return jitterMs > 0 ? Math.max(0, latencyMs + jitterMs * this.random.normal()) : latencyMs;
  }

  /** TCP's estimate: the round trip plus four deviations, at least MIN_RTO_MS. */
  retransmissionTimeoutMs(): number {
    const { latencyMs, jitterMs } = this.profile;
    return Math.max(MIN_RTO_MS, 2 * latencyMs + 4 * jitterMs);
  }
}

/** A Binomial(n, p) draw: by inversion when few successes are expected, else its normal approximation. */
export function binomial(n: number, p: number, random: SeededRandom): number {
  const mean = n * p;
  if (mean > 30) return Math.min(n, Math.max(0, Math.round(mean + Math.sqrt(mean * (1 - p)) * random.normal())));
  const ratio = p / (1 - p);
  let probability = (1 - p) ** n;
  let cumulative = probability;
  const u = random.next();
  let k = 0;
  while (u > cumulative && k < n) {
    probability *= ((n - k) / (k + 1)) * ratio;
    cumulative += probability;
    k++;
  }
  return k;
}
