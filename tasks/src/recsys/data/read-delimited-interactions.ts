// The one parser behind every loader: splits lines on a delimiter, picks the user, item, rating and
// timestamp columns (by index, or by name from a header), filters by rating, and builds Interactions.
// A bad row fails naming the file, line and column, or, when the caller asks, is skipped and counted. Two
// mistakes that would otherwise pass silently are caught: a header read as data (a forgotten --header: its
// rating or id cells are words where every other row has numbers), and a non-numeric id among numeric ones.

import { DataError } from '@strata/shared';
import type { ColumnRef } from './interaction-source.js';
import type { Interactions } from './interactions.js';
import { InteractionsBuilder } from './interactions-builder.js';
import { forEachLine } from './read-lines.js';

/** What to do with a row that cannot be read: stop with an error naming it, or skip it and count it. */
export type BadRowPolicy = 'fail' | 'skip';

export interface DelimitedReadOptions {
  readonly delimiter: string;
  readonly header: boolean;
  readonly user: ColumnRef;
  readonly item: ColumnRef;
  readonly rating?: ColumnRef;
  readonly timestamp?: ColumnRef;
  readonly minRating?: number;
  /** Default 'fail'. */
  readonly badRows?: BadRowPolicy;
  /** Maps a header cell to the name columns are looked up by (RecBole strips the `:type` suffix). */
  readonly headerName?: (cell: string) => string;
  /**
   * Named rating and timestamp columns that the header lacks are left out instead of failing (the rating
   * column is still required when `minRating` is set).
   */
  readonly optionalRatingAndTimestamp?: boolean;
  /** Format label for messages and the `source` field. */
  readonly format: string;
}

interface ResolvedColumns {
  user: number;
  item: number;
  rating: number;
  timestamp: number;
  width: number;
}

interface Row {
  readonly line: number;
  readonly user: string;
  readonly item: string;
  readonly rating: number;
  readonly timestamp: number;
}

/** Rows read before deciding whether a column's ids are numbers (and so whether a word among them is a mistake). */
const PROBE_ROWS = 100;
const NUMBER = /^[+-]?\d+(\.\d+)?$/;

/** A row that cannot be read: its message names the column (1-based); the caller adds the file and line. */
class BadRow extends Error {}

export function readDelimitedInteractions(path: string, options: DelimitedReadOptions): Interactions {
  const { delimiter, minRating } = options;
  if (delimiter === '') throw new DataError(`${path}: empty delimiter`);
  if (minRating !== undefined && options.rating === undefined) {
    throw new DataError(`${path}: minRating ${minRating} given but the ${options.format} source has no rating column`);
  }
  const skip = options.badRows === 'skip';
  const builder = new InteractionsBuilder(`${options.format}:${path}`);
  let columns: ResolvedColumns | undefined = options.header ? undefined : resolveColumns(path, options, undefined);
  let sawLine = false;
  let skipped = 0;
  const probe: Row[] = [];
  let numericIds: { user: boolean; item: boolean } | undefined;

  const keep = (row: Row, c: ResolvedColumns): void => {
    if (minRating !== undefined && row.rating < minRating) return;
    builder.add(row.user, row.item, row.timestamp, c.rating >= 0 ? row.rating : undefined);
  };
  const reject = (error: unknown, line: number): void => {
    if (!(error instanceof BadRow)) throw error;
    if (!skip) throw new DataError(`${path}:${line}: ${error.message} (--bad-rows skip skips such rows and counts them)`);
    skipped++;
  };
  /** Keeps a parsed row whose ids are of their columns' kind; a stray word among numeric ids is a bad row. */
  const accept = (row: Row, kinds: { user: boolean; item: boolean }, c: ResolvedColumns): void => {
    try {
      for (const [role, value, column] of [
        ['user', row.user, c.user],
        ['item', row.item, c.item],
      ] as const) {
        if (kinds[role] && !NUMBER.test(value)) {
          throw new BadRow(`column ${column + 1} (${role}): ${JSON.stringify(value)} is not a number like the other ${role} ids`);
        }
      }
      keep(row, c);
    } catch (error) {
      reject(error, row.line);
    }
  };
  // A column is numeric when all but a stray few (at most 1%, or one) of the first rows hold numbers: the
  // stray ones are then mistakes, not token ids.
  const decideIdKinds = (c: ResolvedColumns): void => {
    const words = (role: 'user' | 'item', rows: readonly Row[]): number => rows.filter((r) => !NUMBER.test(r[role])).length;
    if (!options.header && probe.length >= 2) {
      const [first, ...rest] = probe;
      for (const role of ['user', 'item'] as const) {
        if (words(role, [first]) === 1 && words(role, rest) === 0) {
          throw new DataError(
            `${path}:${first.line}: column ${c[role] + 1} (${role}): ${JSON.stringify(first[role])} is not a number, ` +
              `while the next ${rest.length} rows' are: is line ${first.line} a header? Pass --header`,
          );
        }
      }
    }
    const stray = Math.max(1, Math.floor(probe.length / 100));
    const numeric = (role: 'user' | 'item'): boolean => probe.length > stray && words(role, probe) <= stray;
    numericIds = { user: numeric('user'), item: numeric('item') };
    for (const row of probe) accept(row, numericIds, c);
  };

  forEachLine(path, (line, lineNumber) => {
    if (line.trim() === '') return;
    const cells = line.split(delimiter);
    if (columns === undefined) {
      columns = resolveColumns(
        path,
        options,
        cells.map((c) => (options.headerName ?? identity)(c.trim())),
      );
      return;
    }
    const first = !sawLine;
    sawLine = true;
    try {
      const row = parseRow(cells, columns, lineNumber, line, delimiter);
      if (numericIds === undefined) {
        probe.push(row);
        if (probe.length === PROBE_ROWS) decideIdKinds(columns);
        return;
      }
      accept(row, numericIds, columns);
    } catch (error) {
      // A first line that is not data while no header was announced is almost surely a header.
      if (first && !options.header && error instanceof BadRow) {
        throw new DataError(`${path}:${lineNumber}: ${error.message}: is line ${lineNumber} a header? Pass --header`);
      }
      reject(error, lineNumber);
    }
  });

  if (columns === undefined) throw new DataError(`${path}: empty file (no header line)`);
  if (numericIds === undefined) decideIdKinds(columns);
  if (!sawLine) throw new DataError(`${path}: no interaction rows`);
  if (builder.rowCount === 0) {
    throw new DataError(
      minRating === undefined
        ? `${path}: every row was skipped as unreadable (${skipped})`
        : `${path}: no rows with rating >= ${minRating}`,
    );
  }
  return { ...builder.build(), skippedRows: skipped };
}

function parseRow(cells: readonly string[], c: ResolvedColumns, line: number, text: string, delimiter: string): Row {
  if (cells.length < c.width) {
    throw new BadRow(
      `expected at least ${c.width} fields separated by ${JSON.stringify(delimiter)}, got ${cells.length}: ${JSON.stringify(truncate(text))}`,
    );
  }
  const user = cells[c.user].trim();
  const item = cells[c.item].trim();
  if (user === '') throw new BadRow(`column ${c.user + 1} (user) is empty`);
  if (item === '') throw new BadRow(`column ${c.item + 1} (item) is empty`);
  const number = (column: number, field: string): number => {
    const cell = cells[column].trim();
    const value = cell === '' ? Number.NaN : Number(cell);
    if (Number.isFinite(value)) return value;
    throw new BadRow(`column ${column + 1} (${field}): ${JSON.stringify(cells[column])} is not a number`);
  };
  const rating = c.rating >= 0 ? number(c.rating, 'rating') : 0;
  const timestamp = c.timestamp >= 0 ? number(c.timestamp, 'timestamp') : 0;
  return { line, user, item, rating, timestamp };
}

function resolveColumns(path: string, options: DelimitedReadOptions, header: string[] | undefined): ResolvedColumns {
  const find = (ref: ColumnRef | undefined, role: string, optional = false): number => {
    if (ref === undefined) return -1;
    if (typeof ref === 'number') {
      if (!Number.isInteger(ref) || ref < 0) throw new DataError(`${path}: ${role} column index ${ref} is not a non-negative integer`);
      if (header !== undefined && ref >= header.length) {
        throw new DataError(`${path}:1: ${role} column index ${ref} but the header has ${header.length} columns`);
      }
      return ref;
    }
    if (header === undefined) {
      throw new DataError(`${path}: ${role} column given by name ${JSON.stringify(ref)} but the file has no header (pass --header)`);
    }
    const index = header.indexOf(ref);
    if (index < 0 && optional) return -1;
    if (index < 0) {
      throw new DataError(
        `${path}:1: header has no ${role} column ${JSON.stringify(ref)} (columns: ${header.map((h) => JSON.stringify(h)).join(', ')})`,
      );
    }
    return index;
  };
  const user = find(options.user, 'user');
  const item = find(options.item, 'item');
  const optional = options.optionalRatingAndTimestamp ?? false;
  const rating = find(options.rating, 'rating', optional && options.minRating === undefined);
  const timestamp = find(options.timestamp, 'timestamp', optional);
  return { user, item, rating, timestamp, width: Math.max(user, item, rating, timestamp) + 1 };
}

function identity(cell: string): string {
  return cell;
}

function truncate(line: string): string {
  return line.length > 120 ? `${line.slice(0, 117)}...` : line;
}
