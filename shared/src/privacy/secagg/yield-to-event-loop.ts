// The long steps of a SecAgg+ round (an X25519 agreement and a ChaCha20 mask of the whole model per
// neighbour, a Shamir reconstruction per device at the edge) run one neighbour or device at a time, with a
// turn of the event loop between them, so that a process hosting devices (or an edge) keeps answering its
// links' pings and requests while it masks: at 100 devices × 100k parameters one synchronous masking step
// held a thread for seconds and socket.io dropped its links. The slices are counted, not timed, so the
// order of events in the deterministic simulator does not depend on the machine's speed.

/**
 * Resolves after the event loop has had a turn (pending I/O callbacks, timers). A zero timeout, the one
 * macrotask browsers and Node share (the core uses no Node global); Node clamps it to 1 ms, which bounds the
 * delay a device's step gains at k ms for k neighbours, and overlaps across the devices of one process.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
