// Every code a StrataError can carry, defined once with what it means, as fastify's error catalogue does:
// callers, metrics and the CLI tell failures apart by code, never by parsing a message. A new kind of
// failure adds its code here (the compiler refuses a code that is not).

export const ERROR_CODES = {
  STRATA_ERR_CONFIG: 'an invalid option, configuration file or command-line flag',
  STRATA_ERR_DATA: 'input data that cannot be read or parsed (a missing file, a bad row or field)',
  STRATA_ERR_WIRE_FORMAT: 'malformed, truncated, oversized or inconsistent bytes on the wire',
  STRATA_ERR_INVALID_UPDATE: 'an update that cannot be aggregated (non-finite, wrong shape, unknown tensor, stale)',
  STRATA_ERR_INVALID_JOB: 'a job payload or result that does not match its schema',
  STRATA_ERR_TIMEOUT: 'a round, request or job did not finish before its deadline',
  STRATA_ERR_AUTH: 'a handshake or request with missing, wrong or refused credentials',
  STRATA_ERR_HANDSHAKE: 'a malformed handshake',
  STRATA_ERR_SHAPE_MISMATCH: "the edge's model does not have the shapes this device's task and data give",
  STRATA_ERR_QUEUE_CLOSED: 'work given to a job queue after it was closed (a daemon shutting down)',
  STRATA_ERR_ROUNDS_FAILED: 'rounds in a row accepted no update: the run stops instead of finishing unchanged',
  STRATA_ERR_NO_METRICS: 'the final evaluation produced no metrics (no device or edge answered it)',
  STRATA_ERR_DUPLICATE_SESSION: 'a second session for a node id that is connected (the first one stays)',
  STRATA_ERR_CONNECT: 'no connection could be made',
  STRATA_ERR_LINK_LIMIT: 'a request that would break a per-connection limit',
  STRATA_ERR_PEER_DISCONNECTED: 'the peer went away before answering',
  STRATA_ERR_PEER_REQUEST: "the peer's handler failed the request",
  STRATA_ERR_HANDLER: "a peer's request handler failed without a code of its own",
  STRATA_ERR_ADDRESS_IN_USE: 'an in-process address that is already listened on',
  STRATA_ERR_NOT_STARTED: 'a tier used before start()',
  STRATA_ERR_MISSING_BLOB: 'a model or update blob that the store does not hold',
  STRATA_ERR_BAD_BLOB: 'a blob that holds something other than what its key says',
  STRATA_ERR_SERVER_STATE:
    "a saved server state (a strategy's moments, a task's) that cannot be restored: corrupt, truncated, another owner's or layout, wrong sizes",
  STRATA_ERR_UNSUPPORTED: 'a request the task or tier cannot serve',
  STRATA_ERR_SECAGG_ABORT: 'a secure-aggregation round that cannot finish correctly (too few shares, a wrong share)',
  STRATA_ERR_SECAGG_MESSAGE: 'a secure-aggregation message refused (the round goes on without it)',
  STRATA_ERR_RENDER_REFUSED: 'an edge refused a render request',
  STRATA_ERR_REMOTE_RENDER: "a device's render request to its edge failed",
  STRATA_ERR_VIEW_SESSION: 'a viewing-session message (start, pose, frame) was refused as malformed or out of place',
  STRATA_ERR_STATE: 'a call made in a state that does not allow it',
  STRATA_ERR_WORKER: 'a worker thread failed',
  STRATA_ERR_DAEMON: 'a daemon process failed or did not become ready',
  STRATA_ERR_SIM_BUSY: 'the simulated clock was asked to run twice at once',
  STRATA_ERR_SIM_STALLED: 'a simulation can make no progress',
  STRATA_ERR_INTERNAL: 'a broken invariant: a bug in Strata',
  STRATA_ERR_TEST: 'raised by tests to check that codes cross a link',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;
