// Where a daemon or test finds Redis when it is not told.

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
