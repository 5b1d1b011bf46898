// The aggregation strategies, one file each behind the Strategy interface, and the factory that makes one
// from a name and an options object (as given by `--strategy` and the run configuration).

import type { z } from 'zod';
import { optionDefaults } from '../../config/parse-options.js';
import { ConfigError } from '../../errors.js';
import type { Strategy } from '../strategy.js';
import { FedAdagrad, fedAdagradOptionsSchema, type FedAdagradOptions } from './fed-adagrad.js';
import { FedAdam, fedAdamOptionsSchema, type FedAdamOptions } from './fed-adam.js';
import { FedAvg, fedAvgOptionsSchema, type FedAvgOptions } from './fed-avg.js';
import { FedAvgM, fedAvgMOptionsSchema, type FedAvgMOptions } from './fed-avg-m.js';
import { FedProx, fedProxOptionsSchema, type FedProxOptions } from './fed-prox.js';
import { FedYogi, fedYogiOptionsSchema, type FedYogiOptions } from './fed-yogi.js';
import { Krum, krumOptionsSchema, type KrumOptions } from './krum.js';
import { Median, type MedianOptions } from './median.js';
import { TrimmedMean, trimmedMeanOptionsSchema, type TrimmedMeanOptions } from './trimmed-mean.js';

export { FedAdagrad, FedAdam, FedAvg, FedAvgM, FedProx, FedYogi, Krum, Median, TrimmedMean };
export { FedOpt } from './fed-opt.js';
export type {
  FedAdagradOptions,
  FedAdamOptions,
  FedAvgOptions,
  FedAvgMOptions,
  FedProxOptions,
  FedYogiOptions,
  KrumOptions,
  MedianOptions,
  TrimmedMeanOptions,
};

interface StrategyEntry {
  /** Its options; the defaults, read from here, go into the `--help` line. */
  readonly schema: z.ZodObject;
  /** Makes the strategy; the constructor validates the options, hence `unknown` here. */
  readonly create: (options: unknown) => Strategy;
  /** What it does, for `--help`. */
  readonly about: string;
}

const registry = {
  fedavg: {
    schema: fedAvgOptionsSchema,
    create: (o) => new FedAvg(o as FedAvgOptions),
    about: 'weighted mean of the updates (McMahan et al. 2017)',
  },
  fedavgm: {
    schema: fedAvgMOptionsSchema,
    create: (o) => new FedAvgM(o as FedAvgMOptions),
    about: 'FedAvg with server momentum (Hsu et al. 2019)',
  },
  fedadam: {
    schema: fedAdamOptionsSchema,
    create: (o) => new FedAdam(o as FedAdamOptions),
    about: 'Adam on the server (Reddi et al. 2021)',
  },
  fedyogi: {
    schema: fedYogiOptionsSchema,
    create: (o) => new FedYogi(o as FedYogiOptions),
    about: 'Yogi on the server (Reddi et al. 2021)',
  },
  fedadagrad: {
    schema: fedAdagradOptionsSchema,
    create: (o) => new FedAdagrad(o as FedAdagradOptions),
    about: 'Adagrad on the server (Reddi et al. 2021)',
  },
  fedprox: {
    schema: fedProxOptionsSchema,
    create: (o) => new FedProx(o as FedProxOptions),
    about: 'FedAvg, devices add a proximal term (Li et al. 2020)',
  },
  median: {
    schema: fedAvgOptionsSchema,
    create: (o) => new Median(o as MedianOptions),
    about: 'coordinate-wise median (Yin et al. 2018)',
  },
  'trimmed-mean': {
    schema: trimmedMeanOptionsSchema,
    create: (o) => new TrimmedMean(o as TrimmedMeanOptions),
    about: 'coordinate-wise trimmed mean (Yin et al. 2018)',
  },
  krum: {
    schema: krumOptionsSchema,
    create: (o) => new Krum(o as KrumOptions),
    about: 'Krum / Multi-Krum (Blanchard et al. 2017)',
  },
} satisfies Record<string, StrategyEntry>;

export type StrategyName = keyof typeof registry;

/** Every strategy name `createStrategy` accepts, in the order `--help` lists them. */
export const strategyNames = Object.keys(registry) as readonly StrategyName[];

/** One line per strategy for `--help`: what it does and its options with their defaults. */
export const strategySummaries: Readonly<Record<StrategyName, string>> = Object.fromEntries(
  strategyNames.map((name) => {
    const entry: StrategyEntry = registry[name];
    return [name, `${entry.about}; options: ${optionDefaults(entry.schema)}`];
  }),
) as Record<StrategyName, string>;

function isStrategyName(name: string): name is StrategyName {
  return Object.hasOwn(registry, name);
}

/**
 * The strategy called `name` with `options` (defaults for those left out). Throws ConfigError for an
 * unknown name, an unknown option, or a bad option value, naming it.
 */
export function createStrategy(name: string, options: unknown = {}): Strategy {
  if (!isStrategyName(name)) {
    throw new ConfigError(`unknown strategy "${name}" (strategies: ${strategyNames.join(', ')})`);
  }
  return registry[name].create(options);
}
