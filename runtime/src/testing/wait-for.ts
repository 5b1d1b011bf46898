// Polls a condition in tests whose effects arrive asynchronously (a peer's disconnect seen by its server,
// a key expiring), so tests never sleep for a guessed time.

/** Resolves once `condition()` is true; rejects naming `what` if it is still false after `timeoutMs`. */
export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
