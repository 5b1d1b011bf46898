// The data-set flags shared by every recommender command: which file, in which format.

import { Option, type Command } from 'commander';
import type { DataSourceConfig } from '@strata/shared';

export interface DataFlags {
  data?: string;
  format: DataSourceConfig['format'];
  delimiter?: string;
  header?: boolean;
  columns?: string;
  minRating?: number;
}

export function dataSourceOptions(command: Command): Command {
  return command
    .option('--data <file>', 'interaction file (default: the shared MovieLens 100K, ../shared/data/ml-100k/ml-100k.inter)')
    .addOption(
      new Option('--format <format>', 'format of --data')
        .choices(['recbole', 'movielens-udata', 'movielens-dat', 'movielens-csv', 'delimited'])
        .default('recbole'),
    )
    .option('--delimiter <char>', 'delimited: column separator (\\t for tab)')
    .option('--header', 'delimited: the first line is a header')
    .option('--columns <list>', 'delimited: user,item[,rating[,timestamp]] column names or 0-based indices')
    .option('--min-rating <x>', 'keep only interactions rated at least x (default: every rating counts)', Number.parseFloat);
}

export function dataSourceFromFlags(flags: DataFlags): DataSourceConfig {
  const columns = flags.columns
    ?.split(',')
    .map((c) => c.trim())
    .map((c) => (/^\d+$/.test(c) ? Number(c) : c));
  return {
    format: flags.format,
    ...(flags.data !== undefined ? { path: flags.data } : {}),
    ...(flags.delimiter !== undefined ? { delimiter: flags.delimiter === '\\t' ? '\t' : flags.delimiter } : {}),
    ...(flags.header !== undefined ? { header: flags.header } : {}),
    ...(columns ? { columns } : {}),
    ...(flags.minRating !== undefined ? { minRating: flags.minRating } : {}),
  };
}
