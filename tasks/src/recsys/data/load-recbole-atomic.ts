// RecBole atomic `.inter` files: tab-separated with a header of `name:type` cells, e.g.
// `user_id:token	item_id:token	rating:float	timestamp:float`. Rating and timestamp are optional columns.

import type { RecboleSource } from './interaction-source.js';
import type { Interactions } from './interactions.js';
import { readDelimitedInteractions } from './read-delimited-interactions.js';

export function loadRecboleAtomic(source: RecboleSource): Interactions {
  return readDelimitedInteractions(source.path, {
    format: 'recbole',
    delimiter: '\t',
    header: true,
    headerName: fieldName,
    user: source.userField ?? 'user_id',
    item: source.itemField ?? 'item_id',
    rating: source.ratingField ?? 'rating',
    timestamp: source.timestampField ?? 'timestamp',
    optionalRatingAndTimestamp: true,
    minRating: source.minRating,
    badRows: source.badRows,
  });
}

/** `user_id:token` -> `user_id`. */
function fieldName(cell: string): string {
  const colon = cell.indexOf(':');
  return colon < 0 ? cell : cell.slice(0, colon);
}
