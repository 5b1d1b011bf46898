// What a device keeps across restarts (a browser page reloaded), as named arrays the page stores in IndexedDB:
// a recommender's user embeddings and their optimizer state, which never leave it.

import { ConfigError, type DeviceTrainer } from '@strata/shared';

/** A device's private arrays by name (copies). */
export type DevicePrivateState = Readonly<Record<string, Float32Array>>;

/** A trainer whose private state can be saved and restored (it evaluates itself when its task evaluates on devices). */
export interface RestorableDevice extends DeviceTrainer {
  privateState(): DevicePrivateState;
  restorePrivateState(state: DevicePrivateState): void;
}

/** Copies `saved` into `target`, after checking it has the same arrays of the same lengths (else a ConfigError naming them). */
export function restorePrivateArrays(what: string, target: DevicePrivateState, saved: DevicePrivateState): void {
  const describe = (state: DevicePrivateState): string =>
    Object.entries(state)
      .map(([name, values]) => `${name}[${values.length}]`)
      .join(', ');
  const names = Object.keys(target);
  const fits =
    Object.keys(saved).length === names.length &&
    names.every((name) => saved[name] instanceof Float32Array && saved[name].length === target[name].length);
  if (!fits) throw new ConfigError(`${what}: the saved state holds ${describe(saved)}, this device needs ${describe(target)}`);
  for (const name of names) target[name].set(saved[name]);
}
