// Where interactions come from: one variant per file format, chosen by `format`. Paths are resolved
// against the working directory. Every rating counts as an interaction unless `minRating` is given.

/** A column by 0-based index, or by header name (needs a header line). */
export type ColumnRef = number | string;

interface SourceBase {
  readonly path: string;
  /** Keep only rows whose rating is >= minRating (implicit feedback from explicit ratings). */
  readonly minRating?: number;
  /** A row that cannot be read fails the load naming its line and column ('fail', the default), or is skipped and counted. */
  readonly badRows?: 'fail' | 'skip';
}

/** RecBole atomic `.inter` file: tab-separated, header cells `name:type` (e.g. `user_id:token`). */
export interface RecboleSource extends SourceBase {
  readonly format: 'recbole';
  /** Field names (the part before `:` in the header); defaults user_id, item_id, rating, timestamp. */
  readonly userField?: string;
  readonly itemField?: string;
  readonly ratingField?: string;
  readonly timestampField?: string;
}

/** MovieLens 100K `u.data`: tab-separated `user item rating timestamp`, no header. */
export interface MovieLensUDataSource extends SourceBase {
  readonly format: 'movielens-udata';
}

/** MovieLens 1M/10M `ratings.dat`: `user::item::rating::timestamp`, no header. */
export interface MovieLensDatSource extends SourceBase {
  readonly format: 'movielens-dat';
}

/** MovieLens 20M/25M/latest `ratings.csv`: header `userId,movieId,rating,timestamp`. */
export interface MovieLensCsvSource extends SourceBase {
  readonly format: 'movielens-csv';
}

/** Any delimited text file (no quoting), columns by index or by header name. */
export interface DelimitedSource extends SourceBase {
  readonly format: 'delimited';
  readonly delimiter: string;
  /** Whether the first line is a header (default false; required when a column is given by name). */
  readonly header?: boolean;
  readonly user: ColumnRef;
  readonly item: ColumnRef;
  readonly rating?: ColumnRef;
  readonly timestamp?: ColumnRef;
}

export type InteractionSource = RecboleSource | MovieLensUDataSource | MovieLensDatSource | MovieLensCsvSource | DelimitedSource;

export type InteractionFormat = InteractionSource['format'];
