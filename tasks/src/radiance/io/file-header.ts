// The header both radiance model files start with: magic, format version and JSON length (uint32 each,
// little-endian), then the JSON itself; read here once, with errors that name the file.

import { DataError } from '@strata/shared';

const PREFIX_BYTES = 12;

/** The file's magic (its first four bytes, little-endian), or undefined when it is too short to have one. */
export function fileMagic(bytes: Uint8Array): number | undefined {
  return bytes.length < 4 ? undefined : new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true);
}

export function encodeFileHeader(magic: number, version: number, header: unknown): Buffer {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  return Buffer.concat([Buffer.from(new Uint32Array([magic, version, json.length]).buffer), json]);
}

/**
 * The JSON header of a file of `what` (for messages), its format version (one of `expected.version`'s) and where
 * its body starts; throws DataError.
 */
export function decodeFileHeader<T>(
  bytes: Uint8Array,
  source: string,
  expected: { readonly magic: number; readonly version: number | readonly number[]; readonly what: string },
): { header: T; version: number; bodyOffset: number } {
  if (bytes.length < PREFIX_BYTES) throw new DataError(`${source}: ${bytes.length} bytes is too short for a ${expected.what}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, true);
  const version = view.getUint32(4, true);
  const jsonLength = view.getUint32(8, true);
  if (magic !== expected.magic) throw new DataError(`${source}: not a ${expected.what} (magic 0x${magic.toString(16)})`);
  const readable = typeof expected.version === 'number' ? [expected.version] : expected.version;
  if (!readable.includes(version)) throw new DataError(`${source}: format version ${version}; this build reads ${readable.join(' and ')}`);
  const bodyOffset = PREFIX_BYTES + jsonLength;
  if (bodyOffset > bytes.length) throw new DataError(`${source}: header length ${jsonLength} runs past the end of the file`);
  try {
    return {
      header: JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(PREFIX_BYTES, bodyOffset))) as T,
      version,
      bodyOffset,
    };
  } catch (cause) {
    throw new DataError(`${source}: header is not valid JSON`, { cause });
  }
}
