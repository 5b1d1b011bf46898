// The one binary layout of a saved server state (a strategy's moments, a task's cloud-side state): named
// float32 arrays under the owner's name and layout version, closed by a checksum, so that a restarted
// coordinator restores exactly what its predecessor kept and refuses, by name, anything else.
//
// Little-endian 32-bit words throughout: magic 'STSS', the format (1), the owner's layout, the owner's name
// (byte length, then UTF-8, four bytes a word, the last word zero-padded), the entry count, then per entry its name (as the owner's) and
// its float count and floats; last, the checksum of every word before it.

import { ServerStateError } from '../errors.js';
import { littleEndianBytes, uint32View } from '../wire/byte-order.js';
import { wordsChecksum } from '../wire/model-checksum.js';

const MAGIC = 0x53535453; // 'STSS' as little-endian bytes
const FORMAT = 1;
/** A name longer than this is not one an owner writes: the bytes are not a state. */
const MAX_NAME_BYTES = 1024;

/** What a decoder expects of the state it restores. */
export interface ServerStateExpectation {
  /** The owner's name (`fedadam`, `radiance/gaussians serverAdam`): a state of another owner is refused. */
  readonly owner: string;
  /** The owner's layout version: a state of another layout is refused. */
  readonly layout: number;
  /** The number of floats an entry must hold, or undefined where the owner knows no entry of that name. */
  lengthOf(name: string): number | undefined;
  /** Entries the state must hold (others may be absent, as lazily created moments are). */
  readonly required?: readonly string[];
}

/** The bytes of `entries` (copied) as `owner`'s state of `layout`. */
export function encodeServerState(owner: string, layout: number, entries: ReadonlyMap<string, Float32Array>): Uint8Array {
  const text = new TextEncoder();
  const ownerBytes = text.encode(owner);
  const names = [...entries.keys()].map((name) => text.encode(name));
  let words = 5 + padWords(ownerBytes.length) + 1;
  [...entries.values()].forEach((values, i) => {
    words += 1 + padWords(names[i].length) + 1 + values.length;
  });
  const out = new Uint32Array(words);
  let at = 0;
  const word = (value: number): void => {
    out[at++] = value;
  };
  const name = (utf8: Uint8Array): void => {
    word(utf8.length);
    for (let i = 0; i < utf8.length; i++) out[at + (i >> 2)] |= utf8[i] << ((i & 3) * 8);
    at += padWords(utf8.length);
  };
  word(MAGIC);
  word(FORMAT);
  word(layout);
  name(ownerBytes);
  word(entries.size);
  [...entries.values()].forEach((values, i) => {
    name(names[i]);
    word(values.length);
    out.set(new Uint32Array(values.buffer, values.byteOffset, values.length), at);
    at += values.length;
  });
  out[at] = wordsChecksum(out.subarray(0, at)) >>> 0;
  return littleEndianBytes(out);
}

/**
 * The entries of a state that `encodeServerState` wrote for `expect.owner` at `expect.layout`, copied out of
 * `bytes`; every entry checked against the owner's names and sizes, every value finite. Throws ServerStateError naming `what`
 * (where the bytes came from) and the first thing wrong.
 */
export function decodeServerState(bytes: Uint8Array, what: string, expect: ServerStateExpectation): Map<string, Float32Array> {
  const fail = (problem: string): never => {
    throw new ServerStateError(`${what}: ${problem}`);
  };
  if (bytes.byteLength % 4 !== 0 || bytes.byteLength < 28) {
    fail(`${bytes.byteLength} bytes is not a saved server state (a whole number of words, at least 7)`);
  }
  const words = uint32View(bytes, what);
  if (words[0] !== MAGIC) fail('not a saved server state (wrong magic number)');
  const last = words.length - 1;
  if (words[last] !== wordsChecksum(words.subarray(0, last)) >>> 0) fail('checksum mismatch: the state is corrupt or truncated');
  if (words[1] !== FORMAT) fail(`format ${words[1]}, this build reads format ${FORMAT}`);
  let at = 3;
  const take = (count: number, field: string): Uint32Array => {
    if (count > last - at) fail(`${field} runs past the end of the state`);
    const slice = words.subarray(at, at + count);
    at += count;
    return slice;
  };
  const text = new TextDecoder('utf-8', { fatal: true });
  const name = (field: string): string => {
    const length = take(1, field)[0];
    if (length > MAX_NAME_BYTES) fail(`${field} is ${length} bytes long`);
    const padded = take(padWords(length), field);
    const utf8 = Uint8Array.from({ length }, (_, i) => (padded[i >> 2] >>> ((i & 3) * 8)) & 0xff);
    try {
      return text.decode(utf8);
    } catch {
      return fail(`${field} is not UTF-8`);
    }
  };
  const owner = name('the owner name');
  if (owner !== expect.owner) fail(`it is the state of ${owner}, not of ${expect.owner}`);
  if (words[2] !== expect.layout) fail(`layout ${words[2]} of ${owner}, this build reads layout ${expect.layout}`);
  const count = take(1, 'the entry count')[0];
  const entries = new Map<string, Float32Array>();
  for (let i = 0; i < count; i++) {
    const entry = name(`entry ${i}'s name`);
    if (entries.has(entry)) fail(`entry ${entry} appears twice`);
    const expected = expect.lengthOf(entry);
    if (expected === undefined) fail(`${owner} keeps no entry ${entry}`);
    const length = take(1, `entry ${entry}'s length`)[0];
    if (length !== expected) fail(`entry ${entry} holds ${length} values where ${expected} are expected`);
    const values = new Float32Array(take(length, `entry ${entry}`).slice().buffer);
    const bad = values.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) fail(`entry ${entry} holds ${values[bad]} at ${bad}`);
    entries.set(entry, values);
  }
  if (at !== last) fail(`${last - at} words after the last entry`);
  for (const required of expect.required ?? []) if (!entries.has(required)) fail(`entry ${required} is missing`);
  return entries;
}

/** Words that hold `length` bytes. */
function padWords(length: number): number {
  return Math.ceil(length / 4);
}
