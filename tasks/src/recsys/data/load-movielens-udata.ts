// MovieLens 100K `u.data`: tab-separated `user item rating timestamp`, no header.

import type { MovieLensUDataSource } from './interaction-source.js';
import type { Interactions } from './interactions.js';
import { readDelimitedInteractions } from './read-delimited-interactions.js';

export function loadMovieLensUData(source: MovieLensUDataSource): Interactions {
  return readDelimitedInteractions(source.path, {
    format: 'movielens-udata',
    delimiter: '\t',
    header: false,
    user: 0,
    item: 1,
    rating: 2,
    timestamp: 3,
    minRating: source.minRating,
    badRows: source.badRows,
  });
}
