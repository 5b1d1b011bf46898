// A file of credentials, one token per line (`strata credentials issue --count N` writes one): a device
// process running many devices gives each the credential issued for its id.

import { DataError } from '@strata/shared';
import { readCredential } from './credential.js';
import { readIdentityFile } from './read-identity-file.js';

/** Tokens by the node id they were issued for; blank lines and `#` comments are skipped. */
export function readCredentialsFile(path: string): Map<string, string> {
  const tokens = new Map<string, string>();
  readIdentityFile(path, 'credentials file')
    .split('\n')
    .forEach((raw, index) => {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) return;
      try {
        tokens.set(readCredential(line).claims.id, line);
      } catch (error) {
        throw new DataError(`${path}:${index + 1}: ${(error as Error).message}`);
      }
    });
  if (tokens.size === 0) throw new DataError(`${path}: no credential in the file`);
  return tokens;
}
