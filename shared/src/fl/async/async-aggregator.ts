// The server side of FedBuff and FedAsync on one model: updates arrive one at a time, each based on the
// model version its device was sent; the aggregator measures its staleness τ (versions made since), refuses
// it past maxStaleness (InvalidUpdateError 'too_stale'), scales its delta by s(τ) and either buffers it
// (FedBuff: a strategy step over the buffer every bufferSize updates) or mixes it in at once (FedAsync: a
// step of mixing × s(τ) × delta). Every step makes a new model version. The model is changed in place.

import { InvalidUpdateError } from '../../errors.js';
import type { ModelParams, ModelUpdate } from '../model.js';
import type { Strategy } from '../strategy.js';
import { type AsyncSchedule, stalenessWeight } from './async-schedule.js';
import { scaleUpdate } from './scale-update.js';

export interface AsyncAggregatorOptions {
  readonly model: ModelParams;
  readonly strategy: Strategy;
  readonly schedule: AsyncSchedule;
  /** The version of `model` now. */
  readonly version: number;
  /** Told each step's combined update, after it is applied (an edge records it in its cumulative delta). */
  readonly onStep?: (combined: ModelUpdate, version: number) => void;
  /** Runs on each step's updates before they are combined (an edge's norm clipping to k × the buffer's median). */
  readonly prepare?: (updates: ModelUpdate[]) => ModelUpdate[];
}

/** What became of an accepted update: its staleness, its weight s(τ), and whether it made a new version. */
export interface Accepted {
  readonly staleness: number;
  readonly stalenessWeight: number;
  readonly stepped: boolean;
}

export class AsyncAggregator {
  private current: number;
  private readonly buffer: ModelUpdate[] = [];
  private accepted = 0;

  constructor(private readonly options: AsyncAggregatorOptions) {
    if (options.schedule.mode === 'sync') throw new RangeError('AsyncAggregator runs fedbuff or fedasync, not sync');
    this.current = options.version;
  }

  /** The version of the model now (one more per step). */
  get version(): number {
    return this.current;
  }

  /** Updates accepted so far (buffered or applied). */
  get acceptedCount(): number {
    return this.accepted;
  }

  /** Updates waiting in the buffer for the next FedBuff step. */
  get buffered(): number {
    return this.buffer.length;
  }

  /** How many versions behind the model now an update based on `baseVersion` is. */
  stalenessOf(baseVersion: number): number {
    const staleness = this.current - baseVersion;
    if (!(Number.isInteger(baseVersion) && staleness >= 0)) {
      throw new InvalidUpdateError('stale', `update is based on version ${baseVersion}, newer than the model's ${this.current}`);
    }
    return staleness;
  }

  /**
   * Takes one update based on `baseVersion`. Throws InvalidUpdateError('too_stale') when it is more than
   * maxStaleness versions old; otherwise buffers or applies it.
   */
  offer(update: ModelUpdate, baseVersion: number): Accepted {
    const { schedule } = this.options;
    const staleness = this.stalenessOf(baseVersion);
    if (staleness > schedule.maxStaleness) {
      throw new InvalidUpdateError(
        'too_stale',
        `update is based on version ${baseVersion}, ${staleness} versions behind the model's ${this.current} (the bound is ${schedule.maxStaleness})`,
      );
    }
    const weight = stalenessWeight(staleness, schedule.stalenessExponent);
    this.accepted++;
    if (schedule.mode === 'fedasync') {
      this.step([scaleUpdate(update, schedule.mixing * weight)]);
      return { staleness, stalenessWeight: weight, stepped: true };
    }
    this.buffer.push(scaleUpdate(update, weight));
    if (this.buffer.length < schedule.bufferSize) return { staleness, stalenessWeight: weight, stepped: false };
    this.flush();
    return { staleness, stalenessWeight: weight, stepped: true };
  }

  /** FedBuff: steps with what the buffer holds, full or not (the end of an edge round). Returns whether it stepped. */
  flush(): boolean {
    if (this.buffer.length === 0) return false;
    this.step(this.buffer.splice(0));
    return true;
  }

  private step(updates: ModelUpdate[]): void {
    const { strategy, model, onStep, prepare } = this.options;
    const combined = strategy.aggregate(prepare ? prepare(updates) : updates);
    strategy.apply(model, combined);
    this.current++;
    onStep?.(combined, this.current);
  }
}
