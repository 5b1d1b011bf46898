// JSON scene descriptions as Python tools write them: Python's json module writes NaN and Infinity as bare
// words, which JSON.parse rejects; they are read as strings so that validation can name the field that holds one.

import { DataError } from '@strata/shared';

export function parseJsonAllowingNaN(text: string, file: string): unknown {
  try {
    return JSON.parse(text.replace(/([:,[]\s*)(-?Infinity|NaN)(?=\s*[,\]}])/g, '$1"$2"'));
  } catch (cause) {
    throw new DataError(`${file}: not valid JSON (${(cause as Error).message})`, { cause });
  }
}
