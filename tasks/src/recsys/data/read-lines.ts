// Streams the lines of a text file without holding it as one string (V8 caps strings near 512 MiB, and
// MovieLens 25M's ratings.csv is larger), decoding it in chunks that end on a line break.

import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { DataError } from '@strata/shared';

const CHUNK_BYTES = 8 * 1024 * 1024;
const NEWLINE = 0x0a;

/**
 * Calls `onLine(line, lineNumber)` for every line of `path` (1-based numbers, line breaks and a trailing
 * carriage return removed). Throws DataError when the file cannot be read.
 */
export function forEachLine(path: string, onLine: (line: string, lineNumber: number) => void): void {
  let fd: number;
  try {
    if (!statSync(path).isFile()) throw new DataError(`${path} is not a file`);
    fd = openSync(path, 'r');
  } catch (err) {
    if (err instanceof DataError) throw err;
    throw new DataError(`cannot read interactions file ${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    let carry = Buffer.alloc(0);
    let lineNumber = 0;
    const emit = (text: string): void => {
      lineNumber++;
      onLine(text.endsWith('\r') ? text.slice(0, -1) : text, lineNumber);
    };
    for (;;) {
      const read = readSync(fd, buffer, 0, CHUNK_BYTES, null);
      if (read === 0) break;
      const chunk = carry.length > 0 ? Buffer.concat([carry, buffer.subarray(0, read)]) : buffer.subarray(0, read);
      const lastBreak = chunk.lastIndexOf(NEWLINE);
      if (lastBreak < 0) {
        carry = Buffer.from(chunk);
        continue;
      }
      const lines = chunk.toString('utf8', 0, lastBreak).split('\n');
      for (const line of lines) emit(line);
      carry = Buffer.from(chunk.subarray(lastBreak + 1));
    }
    if (carry.length > 0) emit(carry.toString('utf8'));
  } finally {
    closeSync(fd);
  }
}
