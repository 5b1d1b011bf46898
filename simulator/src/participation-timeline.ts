// Who took part when, over simulated time: devices online, devices computing, answers delivered. The network
// records change points as they happen (a few numbers each, not per-device state) and the run record keeps a
// binned summary for the report's participation timeline.

export interface TimelineSummary {
  /** Width of a bin in simulated seconds; bin i starts at i × binSeconds. */
  readonly binSeconds: number;
  /** Start of each bin (simulated seconds). */
  readonly t: number[];
  /** Mean number of devices connected during the bin. */
  readonly online: number[];
  /** Most devices computing at once during the bin. */
  readonly computing: number[];
  /** Replies delivered to edges during the bin. */
  readonly answers: number[];
}

class GrowableFloat64 {
  data = new Float64Array(256);
  length = 0;

  push(value: number): void {
    if (this.length === this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = value;
  }

  values(): Float64Array {
    return this.data.subarray(0, this.length);
  }
}

export class ParticipationTimeline {
  // Online changes arrive in time order (they happen at events); computing intervals may start later than
  // they are recorded (a busy device queues work), so they are sorted when summarised.
  private readonly onlineTimes = new GrowableFloat64();
  private readonly onlineDeltas = new GrowableFloat64();
  private readonly computeStarts = new GrowableFloat64();
  private readonly computeEnds = new GrowableFloat64();
  private readonly answerTimes = new GrowableFloat64();
  private onlineNow = 0;

  /** Devices connected now. */
  get online(): number {
    return this.onlineNow;
  }

  connected(timeMs: number): void {
    this.onlineNow++;
    this.onlineTimes.push(timeMs);
    this.onlineDeltas.push(1);
  }

  disconnected(timeMs: number): void {
    this.onlineNow--;
    this.onlineTimes.push(timeMs);
    this.onlineDeltas.push(-1);
  }

  computed(startMs: number, endMs: number): void {
    this.computeStarts.push(startMs);
    this.computeEnds.push(endMs);
  }

  answered(timeMs: number): void {
    this.answerTimes.push(timeMs);
  }

  /** The timeline from 0 to `endMs` in `bins` equal bins. */
  summarize(endMs: number, bins: number): TimelineSummary {
    const width = Math.max(endMs, 1) / bins;
    const t = Array.from({ length: bins }, (_, i) => (i * width) / 1000);
    return {
      binSeconds: width / 1000,
      t,
      online: this.meanLevel(width, bins),
      computing: this.peakComputing(width, bins),
      answers: this.answerCounts(width, bins),
    };
  }

  private meanLevel(width: number, bins: number): number[] {
    const end = bins * width;
    const area = new Float64Array(bins);
    const times = this.onlineTimes.values();
    const deltas = this.onlineDeltas.values();
    let level = 0;
    let from = 0;
    let bin = 0;
    // Adds level × [from, to) to the bins it spans; bins only move forward, as changes come in time order.
    const cover = (to: number): void => {
      while (from < to) {
        const stop = bin === bins - 1 ? to : Math.min(to, (bin + 1) * width);
        area[bin] += level * (stop - from);
        from = stop;
        if (from >= (bin + 1) * width && bin < bins - 1) bin++;
      }
    };
    for (let k = 0; k < times.length; k++) {
      cover(Math.min(times[k], end));
      level += deltas[k];
    }
    cover(end);
    return Array.from(area, (a) => a / width);
  }

  private peakComputing(width: number, bins: number): number[] {
    const n = this.computeStarts.length;
    const changes: [number, number][] = [];
    const starts = this.computeStarts.values();
    const ends = this.computeEnds.values();
    for (let k = 0; k < n; k++) {
      changes.push([starts[k], 1], [ends[k], -1]);
    }
    // Ends before starts at one instant: back-to-back work on one device is one device computing.
    changes.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const peak = new Array<number>(bins).fill(0);
    let level = 0;
    let bin = 0;
    for (const [time, delta] of changes) {
      const at = Math.min(bins - 1, Math.floor(time / width));
      // Bins passed without a change keep the level they were entered with.
      while (bin < at) peak[++bin] = Math.max(peak[bin], level);
      level += delta;
      peak[at] = Math.max(peak[at], level);
    }
    while (bin < bins - 1) peak[++bin] = Math.max(peak[bin], level);
    return peak;
  }

  private answerCounts(width: number, bins: number): number[] {
    const counts = new Array<number>(bins).fill(0);
    for (const time of this.answerTimes.values()) counts[Math.min(bins - 1, Math.floor(time / width))]++;
    return counts;
  }
}
