// The long steps of a SecAgg+ round (an X25519 agreement and a ChaCha20 mask of the whole model per
// neighbour, a Shamir reconstruction per device at the edge) run one neighbour or device at a time, with a
// turn of the event loop between them, so that a process hosting devices (or an edge) keeps answering its
// links' pings and requests while it masks: at 100 devices × 100k parameters one synchronous masking step
// held a thread for seconds and socket.io dropped its links. The slices are counted, not timed, so the
// order of events in the deterministic simulator does not depend on the machine's speed.

type Immediate = (callback: () => void) => unknown;

/** Node's setImmediate, reached through globalThis (the core names no Node global); absent in browsers. */
const immediate: Immediate | undefined = (globalThis as { setImmediate?: Immediate }).setImmediate;

/**
 * Resolves after the event loop has had a turn that includes pending I/O. In Node that takes setImmediate: a
 * zero timeout is not enough there, because Node keeps running timers that fall due while its timer phase
 * runs, so with a hundred devices of one process each re-arming a 1 ms timer after a 3 ms slice the phase
 * never ended, no socket was read for 20 s, and the edge dropped the whole process's links on a ping timeout
 * (1,000 devices in 10 processes: 66-490 links lost in 2 of 5 runs). Browsers, which have no setImmediate,
 * get the zero timeout, whose 1-4 ms clamp leaves room for their I/O.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => (immediate ? immediate(resolve) : setTimeout(resolve, 0)));
}
