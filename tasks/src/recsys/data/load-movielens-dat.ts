// MovieLens 1M/10M `ratings.dat`: `user::item::rating::timestamp`, no header.

import type { MovieLensDatSource } from './interaction-source.js';
import type { Interactions } from './interactions.js';
import { readDelimitedInteractions } from './read-delimited-interactions.js';

export function loadMovieLensDat(source: MovieLensDatSource): Interactions {
  return readDelimitedInteractions(source.path, {
    format: 'movielens-dat',
    delimiter: '::',
    header: false,
    user: 0,
    item: 1,
    rating: 2,
    timestamp: 3,
    minRating: source.minRating,
    badRows: source.badRows,
  });
}
