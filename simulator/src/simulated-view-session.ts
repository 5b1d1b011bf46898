// A viewing session in virtual time (the discrete-event counterpart of `strata view`'s loopback sessions): a
// camera path sampled on a fixed clock, poses and acknowledgements crossing a link profile up, frames crossing
// it down (LinkPipe: bandwidth, latency, jitter, loss), the edge rendering one frame at a time with at most
// `maxInFlight` unacknowledged and the newest pose replacing the pending one, and the device rendering (local),
// or warping and filling (co), for its measured time divided by its CPU speed, skipping ticks while busy. The
// rules are device-client's player's and the edge's session's; the costs (frame bytes, render times) are
// inputs, measured with `strata view`. What the user sees: motion-to-photon per shown frame, frames per
// second, bytes per second both ways. Deterministic for a seed.

import { ConfigError, SeededRandom } from '@strata/shared';
import { quantile } from '@strata/device-client/view-session';
import { EventHeap } from './event-heap.js';
import { LinkPipe, type LinkProfile } from './link-pipe.js';
import type { Topology } from './topology-schema.js';

export type SimulatedArchitecture = 'local' | 'remote' | 'co';

/** What one frame costs at one size (measured on a machine whose one core is the CPU-speed reference). */
export interface ViewFrameCosts {
  /** JPEG colour bytes of one frame. */
  readonly colorBytes: number;
  /** Deflated depth bytes of one frame (co-rendering). */
  readonly depthBytes: number;
  /** The edge's render + encode time per frame. */
  readonly edgeRenderMs: number;
  /** A device's own render of a whole frame at CPU speed 1 (local). */
  readonly localRenderMs: number;
  /** A device's warp + low-resolution fill at CPU speed 1 (co). */
  readonly composeMs: number;
}

export interface SimulatedViewSessionOptions {
  readonly architecture: SimulatedArchitecture;
  readonly link: LinkProfile;
  readonly cpuSpeed: number;
  readonly costs: ViewFrameCosts;
  readonly poses: number;
  readonly rateHz: number;
  readonly maxInFlight?: number;
  readonly seed: number;
}

export interface SimulatedViewFigures {
  readonly shown: number;
  readonly fps: number;
  readonly latencyMedianMs: number;
  readonly latencyP95Ms: number;
  readonly bytesPerSecond: number;
  readonly posesDropped: number;
}

/** A pose message and a `view:shown` acknowledgement as socket.io frames (JSON, a 4x4 matrix), in bytes. */
const POSE_BYTES = 420;
const ACK_BYTES = 40;
/** socket.io's framing around a binary frame message (header, placeholders, the pose echoed). */
const FRAME_OVERHEAD_BYTES = 520;

export function simulateViewSession(options: SimulatedViewSessionOptions): SimulatedViewFigures {
  const { architecture, costs, poses, rateHz } = options;
  if (!(options.cpuSpeed > 0)) throw new ConfigError(`simulated view session: cpuSpeed ${options.cpuSpeed} must be positive`);
  if (!(rateHz > 0) || !Number.isInteger(poses) || poses < 1)
    throw new ConfigError(`simulated view session: ${poses} poses at ${rateHz} Hz: need a positive integer and a positive rate`);
  const maxInFlight = options.maxInFlight ?? 2;
  const period = 1000 / rateHz;
  const random = new SeededRandom(options.seed);
  const link = new LinkPipe(options.link, random);
  const agenda = new EventHeap();
  let order = 0;
  let now = 0;
  const at = (time: number, callback: () => void): void => agenda.push({ time, order: order++, callback, cancelled: false });

  const latencies: number[] = [];
  let bytes = 0,
    lastShown = 0,
    posesDropped = 0;
  const show = (sampledAt: number): void => {
    latencies.push(now - sampledAt);
    lastShown = now;
  };
  const send = (size: number, direction: 'up' | 'down', arrive: () => void): void => {
    bytes += size;
    const arrival = link.transmit(now, size, direction);
    if (arrival !== undefined) at(arrival, arrive);
  };

  // The edge's session: the pending pose, one render at a time, the in-flight window.
  let pending: number | undefined,
    rendering = false,
    inFlight = 0;
  const pump = (): void => {
    if (pending === undefined || rendering || inFlight >= maxInFlight) return;
    const k = pending;
    pending = undefined;
    rendering = true;
    inFlight++;
    at(now + costs.edgeRenderMs, () => {
      rendering = false;
      const size = costs.colorBytes + (architecture === 'co' ? costs.depthBytes : 0) + FRAME_OVERHEAD_BYTES;
      send(size, 'down', () => frameArrived(k));
      pump();
    });
  };
  const poseArrived = (k: number): void => {
    if (pending !== undefined) posesDropped++;
    pending = k;
    pump();
  };
  const ackArrived = (): void => {
    inFlight--;
    pump();
  };

  // The device: shows remote frames as they come; holds the newest frame for co; renders or composes per tick.
  let busy = false;
  const frameArrived = (k: number): void => {
    if (architecture === 'remote') show(k * period);
    send(ACK_BYTES, 'up', ackArrived);
  };
  const tick = (k: number): void => {
    if (architecture !== 'local') send(POSE_BYTES, 'up', () => poseArrived(k));
    if (architecture === 'remote' || busy) return;
    busy = true;
    const work = (architecture === 'local' ? costs.localRenderMs : costs.composeMs) / options.cpuSpeed;
    at(now + work, () => {
      busy = false;
      show(k * period);
    });
  };
  for (let k = 0; k < poses; k++) at(k * period, () => tick(k));

  for (let event = agenda.pop(); event; event = agenda.pop()) {
    now = event.time;
    event.callback();
  }
  const seconds = Math.max(poses * period, lastShown) / 1000;
  return {
    shown: latencies.length,
    fps: latencies.length / seconds,
    latencyMedianMs: quantile(latencies, 0.5),
    latencyP95Ms: quantile(latencies, 0.95),
    bytesPerSecond: bytes / seconds,
    posesDropped,
  };
}

export interface SimulatedViewRow extends SimulatedViewFigures {
  readonly link: string;
  readonly device: string;
  readonly size: number;
  readonly architecture: SimulatedArchitecture;
}

/** Every session of a topology's `viewing` section under each of its architectures (local once per device and size). */
export function simulateViewingSessions(topology: Pick<Topology, 'links' | 'viewing' | 'seed'>): SimulatedViewRow[] {
  const viewing = topology.viewing;
  if (!viewing) throw new ConfigError('the topology has no viewing section: add viewing.devices, viewing.frames and viewing.sessions');
  const rows: SimulatedViewRow[] = [];
  const localDone = new Set<string>();
  viewing.sessions.forEach((session, i) => {
    for (const architecture of session.architectures) {
      const key = `${session.device}/${session.size}/${session.poses}/${session.rateHz}`;
      if (architecture === 'local' && localDone.has(key)) continue;
      if (architecture === 'local') localDone.add(key);
      const figures = simulateViewSession({
        architecture,
        link: topology.links[session.link],
        cpuSpeed: viewing.devices[session.device].cpuSpeed,
        costs: viewing.frames[String(session.size)],
        poses: session.poses,
        rateHz: session.rateHz,
        seed: topology.seed + i,
      });
      rows.push({
        link: architecture === 'local' ? 'any' : session.link,
        device: session.device,
        size: session.size,
        architecture,
        ...figures,
      });
    }
  });
  return rows;
}
