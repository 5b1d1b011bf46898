// The parser of integer CLI flags: `--res abc` or `--rounds 2.5` is refused by commander with the flag's name
// and value instead of running with NaN or a silently truncated number.

import { InvalidArgumentError } from 'commander';

export function integerFlag(value: string): number {
  const n = Number(value.trim());
  if (value.trim() === '' || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`${JSON.stringify(value)} is not an integer.`);
  return n;
}
