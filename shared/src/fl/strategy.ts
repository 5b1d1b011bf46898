// How a tier combines the updates it receives into its next model. Every strategy (FedAvg, FedAdam,
// Krum, ...) is one file in ./strategies behind this interface; a new strategy is a new file.

import type { KeepsServerState } from './keeps-server-state.js';
import type { ModelParams, ModelUpdate } from './model.js';

/** A stateful server optimizer (momentum, Adam) keeps its state through KeepsServerState, saved with each version. */
export interface Strategy extends KeepsServerState {
  /** Stable name, as selected by `--strategy` (e.g. `fedavg`, `fedadam`, `krum`). */
  readonly name: string;

  /**
   * Combines updates (deltas against the same base model) into one update. Sparse rows are combined per
   * row over the updates that contain the row, weighted by their row weights (or update weight); the
   * result carries the summed weights so a higher tier can weight it in turn.
   */
  aggregate(updates: readonly ModelUpdate[]): ModelUpdate;

  /**
   * Applies a combined update to `model` in place (the server optimizer step: plain addition for FedAvg,
   * momentum, Adam, ...) and returns it. Optimizer state persists across calls; sparse rows update only
   * the rows present (lazy state).
   */
  apply(model: ModelParams, combined: ModelUpdate): ModelParams;

  /** Options sent to devices with every training request (e.g. FedProx's `proximalMu`). */
  clientOptions(): Record<string, number>;
}
