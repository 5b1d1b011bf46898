// Any delimited text file, given its delimiter and which columns hold the user, item, rating and timestamp.

import type { DelimitedSource } from './interaction-source.js';
import type { Interactions } from './interactions.js';
import { readDelimitedInteractions } from './read-delimited-interactions.js';

export function loadDelimited(source: DelimitedSource): Interactions {
  return readDelimitedInteractions(source.path, {
    format: 'delimited',
    delimiter: source.delimiter,
    header: source.header ?? false,
    user: source.user,
    item: source.item,
    rating: source.rating,
    timestamp: source.timestamp,
    minRating: source.minRating,
    badRows: source.badRows,
  });
}
