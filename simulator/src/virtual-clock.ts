// A discrete-event clock for driving the real tiers in simulated time. Time jumps from one scheduled event to
// the next, but only once the process is idle: the microtask queue has drained (checked with one setImmediate,
// which Node runs only after every pending promise continuation) and every piece of real work started with
// `runReal` (a device training, say) has settled. Real work's outcomes are then applied in the order the work
// started, whatever order it finished in, so a run is reproducible even when real work overlaps.

import { StrataError, type Clock, type TimerHandle } from '@strata/shared';
import { EventHeap, type ScheduledEvent } from './event-heap.js';

/** The awaited work cannot finish: nothing is scheduled and nothing real is running. */
export class SimulationStalledError extends StrataError {
  constructor(message: string) {
    super('STRATA_ERR_SIM_STALLED', message);
  }
}

export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

interface RealWork {
  readonly done: Promise<void>;
  readonly settled: () => boolean;
  apply(): void;
}

export interface RunOptions {
  /** Fail with SimulationStalledError when the clock would pass this time (ms) before the work settles. */
  readonly limitMs?: number;
}

const immediate = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class VirtualClock implements Clock {
  private nowMs: number;
  private nextOrder = 0;
  private readonly agenda = new EventHeap();
  private real: RealWork[] = [];
  private running = false;
  private freeRunning = false;
  private wake: (() => void) | undefined;

  constructor(startMs = 0) {
    this.nowMs = startMs;
  }

  now(): number {
    return this.nowMs;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    return this.after(Number.isFinite(ms) ? Math.max(0, ms) : 0, callback) as unknown as TimerHandle;
  }

  clearTimeout(handle: TimerHandle): void {
    this.agenda.cancel(handle as unknown as ScheduledEvent);
  }

  /** Schedules `callback` at `timeMs` (not before now). `order` breaks ties; default: after everything scheduled so far. */
  at(timeMs: number, callback: () => void, order = this.reserveOrder()): ScheduledEvent {
    const event: ScheduledEvent = { time: Math.max(this.nowMs, timeMs), order, callback, cancelled: false };
    this.agenda.push(event);
    this.wake?.();
    return event;
  }

  after(ms: number, callback: () => void): ScheduledEvent {
    return this.at(this.nowMs + ms, callback);
  }

  /** A tie-breaking position, for an event whose time is only known later but whose place is known now. */
  reserveOrder(): number {
    return this.nextOrder++;
  }

  /** Live scheduled events. */
  get pendingEvents(): number {
    return this.agenda.size;
  }

  /**
   * Starts real (wall-clock) work now; the clock does not advance until it settles. `settled` then runs with
   * its outcome, in the order works were started, at the virtual time the work started.
   */
  runReal<T>(work: () => Promise<T>, settled: (outcome: Settled<T>) => void): void {
    let outcome: Settled<T> | undefined;
    let promise: Promise<T>;
    try {
      promise = work();
    } catch (error) {
      promise = Promise.reject(error);
    }
    const done = promise
      .then(
        (value) => {
          outcome = { ok: true, value };
        },
        (error: unknown) => {
          outcome = { ok: false, error };
        },
      )
      .then(() => this.wake?.());
    this.real.push({ done, settled: () => outcome !== undefined, apply: () => settled(outcome!) });
  }

  /** Processes events until `target` settles; resolves or rejects as it does. */
  async run<T>(target: Promise<T>, options: RunOptions = {}): Promise<T> {
    if (this.running || this.freeRunning) throw new StrataError('STRATA_ERR_SIM_BUSY', 'the virtual clock is already running');
    this.running = true;
    let result: Settled<T> | undefined;
    target.then(
      (value) => {
        result = { ok: true, value };
      },
      (error: unknown) => {
        result = { ok: false, error };
      },
    );
    try {
      for (;;) {
        await this.settle();
        if (result) break;
        const event = this.agenda.peek();
        if (!event) {
          throw new SimulationStalledError(
            `simulation stalled at t=${(this.nowMs / 1000).toFixed(3)} s: nothing is scheduled and the awaited work has not finished`,
          );
        }
        if (options.limitMs !== undefined && event.time > options.limitMs) {
          throw new SimulationStalledError(`simulation passed its limit of ${(options.limitMs / 1000).toFixed(0)} simulated seconds`);
        }
        this.step();
      }
    } finally {
      this.running = false;
    }
    if (result.ok) return result.value;
    throw result.error;
  }

  /** Processes every event up to `timeMs`, then sets the clock there. */
  async advanceTo(timeMs: number): Promise<void> {
    if (this.running || this.freeRunning) throw new StrataError('STRATA_ERR_SIM_BUSY', 'the virtual clock is already running');
    this.running = true;
    try {
      for (;;) {
        await this.settle();
        const event = this.agenda.peek();
        if (!event || event.time > timeMs) break;
        this.step();
      }
      this.nowMs = Math.max(this.nowMs, timeMs);
    } finally {
      this.running = false;
    }
  }

  /**
   * Lets time run on its own, like the system clock without the waiting: whenever the process is idle the
   * next event fires, even while real work is outstanding (whose outcome applies when it settles). Not
   * reproducible; for code that must be driven without an awaited target. Returns a function that stops it.
   */
  runFreely(): () => Promise<void> {
    if (this.running || this.freeRunning) throw new StrataError('STRATA_ERR_SIM_BUSY', 'the virtual clock is already running');
    this.freeRunning = true;
    const loop = (async () => {
      while (this.freeRunning) {
        await immediate();
        if (this.takeSettled()) continue;
        if (this.agenda.peek()) {
          this.step();
          continue;
        }
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
      }
    })();
    return async () => {
      this.freeRunning = false;
      this.wake?.();
      await loop;
    };
  }

  private step(): void {
    const event = this.agenda.pop()!;
    this.nowMs = event.time;
    event.callback();
  }

  /** Waits until the process is idle: microtasks drained and all real work settled and applied. */
  private async settle(): Promise<void> {
    for (;;) {
      await immediate();
      if (this.real.length === 0) return;
      const count = this.real.length;
      await Promise.all(this.real.slice(0, count).map((w) => w.done));
      for (const work of this.real.splice(0, count)) work.apply();
    }
  }

  /** Free-running: applies the real work that has settled (in start order among them); true if there was any. */
  private takeSettled(): boolean {
    const ready = this.real.filter((w) => w.settled());
    if (ready.length === 0) return false;
    this.real = this.real.filter((w) => !w.settled());
    for (const work of ready) work.apply();
    return true;
  }
}
