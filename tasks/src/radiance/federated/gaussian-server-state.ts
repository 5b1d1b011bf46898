// What the Gaussian task keeps at the cloud under `combineChanges: 'serverAdam'` (the Adam moments with their
// generations and step count, and the densification statistic pooled since the last densification), as the
// bytes the coordinator saves with each version, and back. Layout 1: the entries below, capacity-sized.

import { ServerStateError, decodeServerState, encodeServerState } from '@strata/shared';
import { GAUSSIAN_STRIDE } from '../model/gaussian-cloud.js';
import type { GaussianServerAdam } from './gaussian-server-adam.js';
import type { PooledStatistic } from './gaussian-pooled-statistic.js';

const OWNER = 'radiance/gaussians serverAdam';
const LAYOUT = 1;

type Entry = 'adam.m' | 'adam.v' | 'adam.generation' | 'adam.steps' | 'statistic.sums' | 'statistic.views';

/** The entries of layout 1 and their lengths for a scaffold of `capacity` rows. */
function entryLengths(capacity: number): Record<Entry, number> {
  return {
    'adam.m': capacity * GAUSSIAN_STRIDE,
    'adam.v': capacity * GAUSSIAN_STRIDE,
    'adam.generation': capacity,
    'adam.steps': 1,
    'statistic.sums': capacity,
    'statistic.views': capacity,
  };
}

export function saveGaussianServerState(adam: GaussianServerAdam, statistic: PooledStatistic): Uint8Array {
  const { m, v, generation, steps } = adam.state;
  const { sums, views } = statistic.state;
  const entries: Record<Entry, Float32Array> = {
    'adam.m': m,
    'adam.v': v,
    'adam.generation': generation,
    'adam.steps': Float32Array.of(steps),
    'statistic.sums': sums,
    'statistic.views': views,
  };
  return encodeServerState(OWNER, LAYOUT, new Map(Object.entries(entries)));
}

/**
 * Restores what saveGaussianServerState wrote into `adam` and `statistic` (both of the task's capacity). Throws
 * ServerStateError, changing neither, for bytes of another owner, layout or capacity, a corrupt state, or
 * values no run keeps (a negative second moment, generation or view count, a fractional step count).
 */
export function restoreGaussianServerState(bytes: Uint8Array, adam: GaussianServerAdam, statistic: PooledStatistic): void {
  const capacity = adam.capacity;
  const what = `the saved state of radiance/gaussians (serverAdam, capacity ${capacity})`;
  const lengths: Record<string, number> = entryLengths(capacity);
  const entries = decodeServerState(bytes, what, {
    owner: OWNER,
    layout: LAYOUT,
    lengthOf: (name) => (Object.hasOwn(lengths, name) ? lengths[name] : undefined),
    required: Object.keys(lengths),
  });
  const get = (name: Entry): Float32Array => entries.get(name)!;
  const refuse = (problem: string): never => {
    throw new ServerStateError(`${what}: ${problem}`);
  };
  const steps = get('adam.steps')[0];
  if (!Number.isInteger(steps) || steps < 0) refuse(`adam.steps is ${steps}, not a count of steps`);
  for (const name of ['adam.v', 'adam.generation', 'statistic.views'] as const) {
    const at = get(name).findIndex((value) => value < 0);
    if (at >= 0) refuse(`${name} is ${get(name)[at]} at ${at}, below 0`);
  }
  adam.restore({ m: get('adam.m'), v: get('adam.v'), generation: get('adam.generation'), steps });
  statistic.restore({ sums: get('statistic.sums'), views: get('statistic.views') });
}
