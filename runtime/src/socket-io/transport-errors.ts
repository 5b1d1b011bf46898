// The socket.io transport's own failures (the interface's are in @strata/shared).

import { StrataError } from '@strata/shared';

/** The handshake refused the credentials (missing, wrong, or rejected by the server's verifier). */
export class AuthenticationError extends StrataError {
  constructor(message: string) {
    super('STRATA_ERR_AUTH', message);
  }
}

/** A request would break a per-connection limit (too many outstanding requests). */
export class LinkLimitError extends StrataError {
  constructor(message: string) {
    super('STRATA_ERR_LINK_LIMIT', message);
  }
}
