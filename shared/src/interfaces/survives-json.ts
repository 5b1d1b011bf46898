// Whether a value comes back from a JSON round trip unchanged: job data must, since BullMQ stores it as JSON
// while the in-memory queue hands the object over as it is. Browser-safe (no node:util isDeepStrictEqual).

/** `parsed` is `JSON.parse(JSON.stringify(original))`; true when it equals `original` strictly and deeply. */
export function survivesJson(parsed: unknown, original: unknown): boolean {
  if (parsed === null || typeof parsed !== 'object') return Object.is(parsed, original);
  if (original === null || typeof original !== 'object') return false;
  if (Array.isArray(parsed)) {
    return Array.isArray(original) && parsed.length === original.length && parsed.every((value, i) => survivesJson(value, original[i]));
  }
  const prototype = Object.getPrototypeOf(original) as unknown;
  if (Array.isArray(original) || (prototype !== Object.prototype && prototype !== null)) return false;
  const fields = parsed as Record<string, unknown>;
  const source = original as Record<string, unknown>;
  const keys = Object.keys(fields);
  return (
    keys.length === Object.keys(source).length && keys.every((key) => Object.hasOwn(source, key) && survivesJson(fields[key], source[key]))
  );
}
