// The little of the WebAssembly binary format that Strata's hand-assembled SIMD kernels need: LEB128 numbers,
// sections, names, a few instructions, and compiling a module. Each kernel writes its function bodies with
// these, its text format beside it, rather than adding a WAT compiler to the build.

// Node has WebAssembly, but its types live in TypeScript's DOM library, which this project does not load:
// the little used here, declared.
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { readonly exports: Record<string, unknown> };
};

export const I32 = 0x7f;
export const F32 = 0x7d;
export const V128 = 0x7b;
export const PAGE_BYTES = 65536;

export function uleb128(value: number): number[] {
  const out: number[] = [];
  let rest = value >>> 0;
  do {
    const byte = rest & 0x7f;
    rest >>>= 7;
    out.push(rest === 0 ? byte : byte | 0x80);
  } while (rest !== 0);
  return out;
}

/** Signed LEB128, as i32.const immediates are encoded. */
export function sleb128(value: number): number[] {
  const out: number[] = [];
  let rest = value | 0;
  for (;;) {
    const byte = rest & 0x7f;
    rest >>= 7;
    const done = (rest === 0 && (byte & 0x40) === 0) || (rest === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

export function section(id: number, body: readonly number[]): number[] {
  return [id, ...uleb128(body.length), ...body];
}

export function name(text: string): number[] {
  return [...uleb128(text.length), ...Array.from(text, (c) => c.charCodeAt(0))];
}

export const localGet = (index: number): number[] => [0x20, index];
export const localSet = (index: number): number[] => [0x21, index];
export const localTee = (index: number): number[] => [0x22, index];
export const simd = (op: number): number[] => [0xfd, ...uleb128(op)];
export const i32Add = [0x6a];
export const i32LtU = [0x49];
export const i32Const = (value: number): number[] => [0x41, ...sleb128(value)];
/** A loop block around `code` (a branch to depth 0 inside it starts it again). */
export const loop = (...code: number[][]): number[] => [0x03, 0x40, ...code.flat(), 0x0b];
/** i += step; br_if (i < limit) to the enclosing loop (locals i and limit, unsigned compare). */
export const next = (i: number, step: number, limit: number): number[] => [
  ...localGet(i),
  ...i32Const(step),
  ...i32Add,
  ...localTee(i),
  ...localGet(limit),
  ...i32LtU,
  0x0d,
  0,
];
/** v128.load / v128.store with a 16-byte alignment hint and no offset. */
export const v128Load = [...simd(0x00), 4, 0];
export const v128Store = [...simd(0x0b), 4, 0];

/** A function: its signature (params, results) and body (locals and code, without the size prefix). */
export interface WasmFunction {
  readonly exportName: string;
  readonly params: readonly number[];
  readonly results: readonly number[];
  readonly body: readonly number[];
}

/** Compiles a module of `functions` (each exported by name) with one memory of `pages`, exported as `memory`. */
export function instantiate(functions: readonly WasmFunction[], pages: number): Record<string, unknown> {
  const types = functions.flatMap((f) => [0x60, f.params.length, ...f.params, f.results.length, ...f.results]);
  const exports = functions.flatMap((f, i) => [...name(f.exportName), 0, i]);
  const bytes = new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, [functions.length, ...types]),
    ...section(3, [functions.length, ...functions.map((_, i) => i)]),
    ...section(5, [1, 0, ...uleb128(pages)]),
    ...section(7, [functions.length + 1, ...name('memory'), 2, 0, ...exports]),
    ...section(10, [functions.length, ...functions.flatMap((f) => [...uleb128(f.body.length), ...f.body])]),
  ]);
  return new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports;
}
