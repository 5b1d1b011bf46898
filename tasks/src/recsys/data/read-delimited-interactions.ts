// The one parser behind every loader: splits lines on a delimiter, picks the user, item, rating and
// timestamp columns (by index, or by name from a header), filters by rating, and builds Interactions.

import { DataError } from '@strata/shared';
import type { ColumnRef } from './interaction-source.js';
import type { Interactions } from './interactions.js';
import { InteractionsBuilder } from './interactions-builder.js';
import { forEachLine } from './read-lines.js';

export interface DelimitedReadOptions {
  readonly delimiter: string;
  readonly header: boolean;
  readonly user: ColumnRef;
  readonly item: ColumnRef;
  readonly rating?: ColumnRef;
  readonly timestamp?: ColumnRef;
  readonly minRating?: number;
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

export function readDelimitedInteractions(path: string, options: DelimitedReadOptions): Interactions {
  const { delimiter, minRating } = options;
  if (delimiter === '') throw new DataError(`${path}: empty delimiter`);
  if (minRating !== undefined && options.rating === undefined) {
    throw new DataError(`${path}: minRating ${minRating} given but the ${options.format} source has no rating column`);
  }
  const builder = new InteractionsBuilder(`${options.format}:${path}`);
  let columns: ResolvedColumns | undefined = options.header ? undefined : resolveColumns(path, options, undefined);
  let sawLine = false;

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
    sawLine = true;
    const where = (): string => `${path}:${lineNumber}`;
    if (cells.length < columns.width) {
      throw new DataError(
        `${where()}: expected at least ${columns.width} fields separated by ${JSON.stringify(delimiter)}, ` +
          `got ${cells.length}: ${JSON.stringify(truncate(line))}`,
      );
    }
    const user = cells[columns.user].trim();
    const item = cells[columns.item].trim();
    if (user === '') throw new DataError(`${where()}: empty user field (column ${columns.user})`);
    if (item === '') throw new DataError(`${where()}: empty item field (column ${columns.item})`);
    if (columns.rating >= 0 && minRating !== undefined) {
      const rating = parseNumber(cells[columns.rating], 'rating', where);
      if (rating < minRating) return;
    }
    const timestamp = columns.timestamp >= 0 ? parseNumber(cells[columns.timestamp], 'timestamp', where) : 0;
    builder.add(user, item, timestamp);
  });

  if (columns === undefined) throw new DataError(`${path}: empty file (no header line)`);
  if (!sawLine) throw new DataError(`${path}: no interaction rows`);
  if (builder.rowCount === 0) throw new DataError(`${path}: no rows with rating >= ${minRating}`);
  return builder.build();
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
      throw new DataError(`${path}: ${role} column given by name ${JSON.stringify(ref)} but the file has no header`);
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

function parseNumber(cell: string, field: string, where: () => string): number {
  const text = cell.trim();
  const value = text === '' ? NaN : Number(text);
  if (!Number.isFinite(value)) throw new DataError(`${where()}: ${field} field ${JSON.stringify(cell)} is not a number`);
  return value;
}

function identity(cell: string): string {
  return cell;
}

function truncate(line: string): string {
  return line.length > 120 ? `${line.slice(0, 117)}...` : line;
}
