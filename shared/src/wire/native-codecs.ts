// The native wire codecs (shared/native/strata-codecs.c), when this is Node on a host where the build compiled
// them and the CPU has AVX2 and F16C: float16 conversion, int8 quantisation of groups and top-k's filtering pass
// on the arrays in place, with exactly the WebAssembly kernels' results (which every other host, browsers
// included, uses). The core imports nothing from Node, so the addon is opened through globalThis.process.
// STRATA_NATIVE_CODECS=0 turns them off for a process; setNativeCodecsEnabled does for tests comparing the two.

export interface NativeCodecs {
  float32ToFloat16(src: Float32Array, out: Uint16Array): void;
  float16ToFloat32(src: Uint16Array, out: Float32Array): void;
  /** Groups of `groupSize` values (the last may be shorter), the WebAssembly int8 kernels' float32 arithmetic. */
  quantizeInt8Groups(values: Float32Array, groupSize: number, q: Int8Array, scales: Float32Array): void;
  dequantizeInt8Groups(q: Int8Array, scales: Float32Array, groupSize: number, out: Float32Array): void;
  /** Top-k's filtering pass (wasm-top-k.ts's indicesAtLeast): the count, or -1 when more pass than `out` holds. */
  indicesAtLeast(bits: Int32Array, threshold: number, out: Uint32Array, passing: Int32Array | null): number;
}

interface NativeModule extends NativeCodecs {
  readonly supported: boolean;
}

interface NodeProcess {
  dlopen(module: { exports: unknown }, filename: string): void;
  readonly env: Record<string, string | undefined>;
  readonly platform: string;
}

/** Where the build puts the addon, relative to this file compiled (shared/dist/src/wire). */
const ADDON = '../../native/strata-codecs.node';

let loaded: NativeCodecs | null | undefined;
let enabled = true;

/** The native codecs, or undefined where they are absent, unsupported or turned off. */
export function nativeCodecs(): NativeCodecs | undefined {
  if (!enabled) return undefined;
  if (loaded === undefined) loaded = load();
  return loaded ?? undefined;
}

/** Turns the native codecs on or off in this process (tests); returns whether they are available. */
export function setNativeCodecsEnabled(on: boolean): boolean {
  enabled = on;
  if (loaded === undefined) loaded = load();
  return loaded !== null;
}

function load(): NativeCodecs | null {
  const proc = (globalThis as { process?: NodeProcess }).process;
  if (typeof proc?.dlopen !== 'function' || proc.env.STRATA_NATIVE_CODECS === '0') return null;
  const url = new URL(ADDON, import.meta.url);
  if (url.protocol !== 'file:') return null;
  const path = decodeURIComponent(proc.platform === 'win32' ? url.pathname.slice(1) : url.pathname);
  const module = { exports: {} as Partial<NativeModule> };
  try {
    proc.dlopen(module, path);
  } catch {
    // Not built on this host (no compiler, another architecture): the WebAssembly kernels serve.
    return null;
  }
  return module.exports.supported === true ? (module.exports as NativeModule) : null;
}
