// What may be shown of a configuration: tokens, passwords and keys replaced, URL credentials removed. Run
// records, logs, `--dry-run` output and the dashboard show configurations through this.

const SECRET_KEY = /(token|password|secret|passphrase|privateKey|key)$/i;
const URL_CREDENTIALS = /^([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/i;

export const REDACTED = '[redacted]';

/** A copy of `value` with secrets replaced by REDACTED and `user:password@` removed from URLs. */
export function redactSecrets<T>(value: T): T {
  return redact(value) as T;
}

function redact(value: unknown, key = ''): unknown {
  if (typeof value === 'string') {
    if (SECRET_KEY.test(key) && value.length > 0) return REDACTED;
    return value.replace(URL_CREDENTIALS, `$1${REDACTED}@`);
  }
  if (Array.isArray(value)) return value.map((item) => redact(item, key));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, redact(v, k)]));
  }
  return value;
}
