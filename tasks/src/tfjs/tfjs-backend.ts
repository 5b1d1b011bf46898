// Chooses TensorFlow.js's backend once per process: the native bindings when they are installed
// (`@tensorflow/tfjs-node-gpu`, then `@tensorflow/tfjs-node`), else the pure-JS `cpu` backend that runs
// everywhere (with a linear-time segment-sum kernel, without which embedding gradients crawl). The native
// packages are optional: they are loaded by name at run time, never imported statically, so the build and
// the tests do not need them.

import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '@strata/shared';
import { registerFastSegmentSumKernel } from './fast-segment-sum-kernel.js';

export interface TfjsBackendInfo {
  /** The tfjs backend name now active (`tensorflow` for the native bindings, `cpu` for pure JS). */
  readonly backend: string;
  /** True when the native TensorFlow bindings (CPU or GPU) are in use. */
  readonly native: boolean;
  /** The package that provided the backend. */
  readonly package: string;
}

/** Which backends `initTfjsBackend` may pick, in order; `STRATA_TFJS_BACKEND` picks one by name. */
export type TfjsBackendPreference = 'auto' | 'tfjs-node-gpu' | 'tfjs-node' | 'cpu';

const NATIVE_PACKAGES = ['tfjs-node-gpu', 'tfjs-node'] as const;
const PREFERENCES: readonly TfjsBackendPreference[] = ['auto', ...NATIVE_PACKAGES, 'cpu'];

let selected: Promise<TfjsBackendInfo> | undefined;

/**
 * Selects and initialises the backend (idempotent: later calls return the first call's answer). The
 * preference comes from the argument, else the env var `STRATA_TFJS_BACKEND`, else `auto`.
 */
export function initTfjsBackend(preference?: TfjsBackendPreference): Promise<TfjsBackendInfo> {
  selected ??= select(preference ?? preferenceFromEnv());
  return selected;
}

function preferenceFromEnv(): TfjsBackendPreference {
  const value = process.env.STRATA_TFJS_BACKEND;
  if (value === undefined || value === '') return 'auto';
  if (!(PREFERENCES as readonly string[]).includes(value)) {
    throw new ConfigError(`STRATA_TFJS_BACKEND must be one of ${PREFERENCES.join(', ')}, got '${value}'`);
  }
  return value as TfjsBackendPreference;
}

async function select(preference: TfjsBackendPreference): Promise<TfjsBackendInfo> {
  const candidates = preference === 'auto' ? NATIVE_PACKAGES : NATIVE_PACKAGES.filter((p) => p === preference);
  for (const name of candidates) {
    if (await loadNative(`@tensorflow/${name}`)) {
      return { backend: tf.getBackend(), native: true, package: `@tensorflow/${name}` };
    }
  }
  if (preference !== 'auto' && preference !== 'cpu') {
    throw new ConfigError(`tfjs backend '${preference}' was requested but @tensorflow/${preference} cannot be loaded`);
  }
  registerFastSegmentSumKernel();
  await tf.setBackend('cpu');
  await tf.ready();
  quietNodeBanner();
  return { backend: tf.getBackend(), native: false, package: '@tensorflow/tfjs' };
}

/** Loads a native binding package; true when its `tensorflow` backend is now active. */
async function loadNative(specifier: string): Promise<boolean> {
  try {
    // A specifier held in a variable keeps TypeScript from resolving (and requiring) the optional package.
    await import(specifier);
  } catch {
    return false;
  }
  // The binding registers `tensorflow` in the tfjs-core it imports; if that is a different copy from ours
  // (a version mismatch), ours does not see it and we stay on pure JS.
  if (tf.findBackend('tensorflow') === null && tf.findBackendFactory('tensorflow') === null) return false;
  return tf.setBackend('tensorflow');
}

/**
 * The cpu backend prints "looks like you are running TensorFlow.js in Node.js" on its first tensor. The
 * advice is moot here (we already tried the native bindings), so that first tensor is written while that
 * one message is filtered out; every other warning still goes through.
 */
function quietNodeBanner(): void {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].includes('looks like you are running TensorFlow.js in Node.js')) return;
    warn(...args);
  };
  try {
    tf.tidy(() => tf.scalar(0).dataSync());
  } finally {
    console.warn = warn;
  }
}
