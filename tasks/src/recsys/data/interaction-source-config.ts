// The interaction data a run configuration names (`data:` / the data flags), as a loader source, and the
// loaded data kept once per source so that a task and its baselines read the file once.

import { resolve } from 'node:path';
import { ConfigError, type DataSourceConfig } from '@strata/shared';
import type { InteractionSource } from './interaction-source.js';
import type { Interactions } from './interactions.js';
import { loadInteractions, ml100kSource } from './load-interactions.js';

/** The interaction source the data configuration describes (default: the shared ml-100k). */
export function interactionSource(data: DataSourceConfig): InteractionSource {
  const common = { ...(data.minRating !== undefined ? { minRating: data.minRating } : {}), badRows: data.badRows };
  const format = data.format ?? 'recbole';
  if (!data.path) {
    if (format !== 'recbole') throw new ConfigError(`--format ${format} needs --data <file>`);
    return { ...ml100kSource(), ...common };
  }
  const path = resolve(data.path);
  if (format !== 'delimited') return { format, path, ...common };
  const [user, item, rating, timestamp] = data.columns ?? [];
  if (!data.delimiter || user === undefined || item === undefined) {
    throw new ConfigError('--format delimited needs --delimiter and --columns user,item[,rating[,timestamp]]');
  }
  return {
    format: 'delimited',
    path,
    delimiter: data.delimiter,
    header: data.header ?? false,
    user,
    item,
    ...(rating !== undefined ? { rating } : {}),
    ...(timestamp !== undefined ? { timestamp } : {}),
    ...common,
  };
}

const loaded = new Map<string, Interactions>();

/** The interactions of `data`, loaded on first use and kept for the process. */
export function loadConfiguredInteractions(data: DataSourceConfig): Interactions {
  const key = JSON.stringify(data);
  let interactions = loaded.get(key);
  if (!interactions) {
    interactions = loadInteractions(interactionSource(data));
    loaded.set(key, interactions);
  }
  return interactions;
}
