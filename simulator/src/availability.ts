// When a simulated device is online: always, on a duty cycle (on for a while, off for a while, each device
// at its own phase), or as a trace file says. Times are whole simulated milliseconds, so a device's state at
// a change is exact. The simulation connects and disconnects the device's real client at each change.

import type { AvailabilityTrace } from './availability-trace.js';

export interface AvailabilitySchedule {
  onlineAt(timeMs: number): boolean;
  /** The first time after `timeMs` at which the state may change; undefined if it never does. */
  nextChange(timeMs: number): number | undefined;
}

export const ALWAYS_ONLINE: AvailabilitySchedule = {
  onlineAt: () => true,
  nextChange: () => undefined,
};

export class DutyCycle implements AvailabilitySchedule {
  private readonly periodMs: number;

  /** Online for `onMs`, then offline for `offMs`, repeating; at time 0 the device is `phaseMs` into its cycle. */
  constructor(
    private readonly onMs: number,
    offMs: number,
    private readonly phaseMs: number,
  ) {
    this.periodMs = onMs + offMs;
  }

  onlineAt(timeMs: number): boolean {
    return this.position(timeMs) < this.onMs;
  }

  nextChange(timeMs: number): number {
    const position = this.position(timeMs);
    return timeMs + (position < this.onMs ? this.onMs - position : this.periodMs - position);
  }

  private position(timeMs: number): number {
    return (timeMs + this.phaseMs) % this.periodMs;
  }
}

export class TraceAvailability implements AvailabilitySchedule {
  /** `intervals`: [start, end) pairs in ms, sorted; the trace repeats every `periodMs` when given. */
  constructor(
    private readonly intervals: Float64Array,
    private readonly periodMs: number | undefined,
  ) {}

  static forDevice(trace: AvailabilityTrace, index: number, repeat: boolean): TraceAvailability {
    return new TraceAvailability(trace.devices[index % trace.devices.length], repeat ? trace.lengthMs : undefined);
  }

  onlineAt(timeMs: number): boolean {
    const t = this.local(timeMs);
    // Online when t falls in [start, end): an odd number of boundaries lie at or before it.
    return this.boundariesAtOrBefore(t) % 2 === 1;
  }

  nextChange(timeMs: number): number | undefined {
    const t = this.local(timeMs);
    const k = this.boundariesAtOrBefore(t);
    if (k < this.intervals.length) return timeMs + (this.intervals[k] - t);
    if (this.periodMs === undefined || this.intervals.length === 0) return undefined;
    return timeMs + (this.periodMs - t) + this.intervals[0];
  }

  private local(timeMs: number): number {
    return this.periodMs === undefined ? timeMs : timeMs % this.periodMs;
  }

  private boundariesAtOrBefore(t: number): number {
    let lo = 0;
    let hi = this.intervals.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.intervals[mid] <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
