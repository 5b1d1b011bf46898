// The data a run learns from: which file, in which format, how to read it. One table of fields serves
// `strata run`, `strata train recsys` and the daemons (flags, STRATA_* variables, a config file's `data:`),
// and the run configuration's schema validates the result, so every data option works everywhere alike.

import type { Command } from 'commander';
import { addFieldOptions, applyFlags, type ConfigField } from './config-fields.js';

export const dataFields: readonly ConfigField[] = [
  {
    path: 'data.path',
    flag: '--data',
    env: 'STRATA_DATA',
    type: 'string',
    description: 'interaction file (default: the shared MovieLens 100K, ../shared/data/ml-100k/ml-100k.inter)',
  },
  {
    path: 'data.format',
    flag: '--format',
    env: 'STRATA_DATA_FORMAT',
    type: 'string',
    description: 'format of --data (default recbole)',
    choices: ['recbole', 'movielens-udata', 'movielens-dat', 'movielens-csv', 'delimited'],
  },
  {
    path: 'data.delimiter',
    flag: '--delimiter',
    env: 'STRATA_DATA_DELIMITER',
    type: 'string',
    description: 'delimited: column separator, or its name: tab (or \\t), comma, semicolon, space, pipe',
  },
  {
    path: 'data.header',
    flag: '--header',
    env: 'STRATA_DATA_HEADER',
    type: 'boolean',
    description: 'delimited: the first line names the columns',
  },
  {
    path: 'data.columns',
    flag: '--columns',
    env: 'STRATA_DATA_COLUMNS',
    type: 'list',
    description: 'delimited: user,item[,rating[,timestamp]] as column names or 0-based indices',
  },
  {
    path: 'data.minRating',
    flag: '--min-rating',
    env: 'STRATA_MIN_RATING',
    type: 'number',
    description: 'keep only interactions rated at least this (default: every rating counts)',
  },
  {
    path: 'data.badRows',
    flag: '--bad-rows',
    env: 'STRATA_BAD_ROWS',
    type: 'string',
    description: 'a row that cannot be read fails the run naming its line and column (fail, the default), or is skipped and counted',
    choices: ['fail', 'skip'],
  },
];

/** The data flags of `dataFields` on a command without a configuration file. */
export function dataSourceOptions(command: Command): Command {
  return addFieldOptions(command, dataFields);
}

/** The data configuration the flags give (the run configuration's schema validates it). */
export function dataSourceFromFlags(flags: object): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  applyFlags(config, dataFields, flags as Readonly<Record<string, unknown>>);
  return (config.data as Record<string, unknown> | undefined) ?? {};
}
