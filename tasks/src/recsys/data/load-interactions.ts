// The one entry point for reading interactions: dispatches on the source's `format`.

import { join } from 'node:path';
import { ConfigError } from '@strata/shared';
import { resolveDataDir } from './data-dir.js';
import type { InteractionSource, RecboleSource } from './interaction-source.js';
import type { Interactions } from './interactions.js';
import { loadDelimited } from './load-delimited.js';
import { loadMovieLensCsv } from './load-movielens-csv.js';
import { loadMovieLensDat } from './load-movielens-dat.js';
import { loadMovieLensUData } from './load-movielens-udata.js';
import { loadRecboleAtomic } from './load-recbole-atomic.js';

export function loadInteractions(source: InteractionSource): Interactions {
  switch (source.format) {
    case 'recbole':
      return loadRecboleAtomic(source);
    case 'movielens-udata':
      return loadMovieLensUData(source);
    case 'movielens-dat':
      return loadMovieLensDat(source);
    case 'movielens-csv':
      return loadMovieLensCsv(source);
    case 'delimited':
      return loadDelimited(source);
    default: {
      const unknown: { format?: unknown } = source;
      throw new ConfigError(
        `unknown interactions format ${JSON.stringify(unknown.format)} ` +
          `(expected recbole, movielens-udata, movielens-dat, movielens-csv or delimited)`,
      );
    }
  }
}

/** MovieLens 100K as shipped in the shared data folder (RecBole atomic file). */
export function ml100kSource(dataDir: string = resolveDataDir()): RecboleSource {
  return { format: 'recbole', path: join(dataDir, 'ml-100k', 'ml-100k.inter') };
}
