// Keys, certificates and credentials files a daemon is pointed at: read at start-up, or a DataError that names
// the file and what it was meant to hold.

import { existsSync, readFileSync } from 'node:fs';
import { DataError } from '@strata/shared';

/** The file's text (PEM keys and certificates, credentials are text), or DataError `<path>: <what> not found`. */
export function readIdentityFile(path: string, what: string): string {
  if (!existsSync(path)) throw new DataError(`${path}: ${what} not found`);
  return readFileSync(path, 'utf8');
}
