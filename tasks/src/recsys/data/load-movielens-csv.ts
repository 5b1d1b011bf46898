// MovieLens 20M/25M/latest `ratings.csv`: comma-separated with the header `userId,movieId,rating,timestamp`.

import type { MovieLensCsvSource } from './interaction-source.js';
import type { Interactions } from './interactions.js';
import { readDelimitedInteractions } from './read-delimited-interactions.js';

export function loadMovieLensCsv(source: MovieLensCsvSource): Interactions {
  return readDelimitedInteractions(source.path, {
    format: 'movielens-csv',
    delimiter: ',',
    header: true,
    user: 'userId',
    item: 'movieId',
    rating: 'rating',
    timestamp: 'timestamp',
    minRating: source.minRating,
    badRows: source.badRows,
  });
}
