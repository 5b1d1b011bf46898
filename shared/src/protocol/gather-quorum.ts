// Waits for answers from selected devices: resolves once `needed` of them have answered, all have settled,
// or the deadline passes (on `clock`). Answers that arrive later are stragglers: the caller counts them as dropped.

import { systemClock, type Clock } from '../interfaces/clock.js';

export interface Gathered<T> {
  /** Successful answers by the index of their request, in request order. */
  readonly answers: { index: number; value: T }[];
  /** Requests that failed (disconnect, error reply) before the gathering closed. */
  readonly failed: { index: number; error: Error }[];
  /** Requests still outstanding when the gathering closed (stragglers). */
  readonly late: number;
}

export function gatherQuorum<T>(
  requests: readonly Promise<T>[],
  needed: number,
  deadlineMs: number,
  clock: Clock = systemClock,
): Promise<Gathered<T>> {
  return new Promise((resolve) => {
    const answers: { index: number; value: T }[] = [];
    const failed: { index: number; error: Error }[] = [];
    let open = true;
    const close = (): void => {
      if (!open) return;
      open = false;
      clock.clearTimeout(timer);
      answers.sort((a, b) => a.index - b.index);
      resolve({ answers, failed, late: requests.length - answers.length - failed.length });
    };
    const timer = clock.setTimeout(close, Math.max(0, deadlineMs));
    if (requests.length === 0) close();
    requests.forEach((request, index) => {
      request.then(
        (value) => {
          if (!open) return;
          answers.push({ index, value });
          if (answers.length >= needed || answers.length + failed.length === requests.length) close();
        },
        (error: unknown) => {
          if (!open) return;
          failed.push({ index, error: error instanceof Error ? error : new Error(String(error)) });
          if (answers.length + failed.length === requests.length) close();
        },
      );
    });
  });
}
