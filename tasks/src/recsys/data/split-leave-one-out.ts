// Leave-one-out by timestamp: each user's latest interaction is held out, the rest is the training history.
// The protocol of sequential recommendation (SASRec, Kang & McAuley 2018); models that ignore order (BPR-MF)
// train on the same sets so that the two are compared on one split.

import type { Interactions, UserSplit } from './interactions.js';

/** A UserSplit whose training items are also kept in time order, for models that read sequences. */
export interface SequenceSplit extends UserSplit {
  /** Each user's training items, oldest first (the test item followed the last of them). */
  readonly sequences: readonly Int32Array[];
}

/**
 * Holds out each user's last interaction by timestamp (ties: the later row in the source comes later).
 * Users with fewer than 2 interactions keep everything in train and have no test item.
 */
export function splitLeaveOneOut(data: Interactions): SequenceSplit {
  const rows: number[][] = Array.from({ length: data.numUsers }, () => []);
  for (let k = 0; k < data.users.length; k++) rows[data.users[k]].push(k);
  const sequences: Int32Array[] = [];
  const train: Int32Array[] = [];
  const test: Int32Array[] = [];
  for (const userRows of rows) {
    // Stable: equal timestamps keep the source's order.
    userRows.sort((a, b) => data.timestamps[a] - data.timestamps[b]);
    const ordered = Int32Array.from(userRows, (k) => data.items[k]);
    const held = ordered.length >= 2 ? 1 : 0;
    const history = ordered.slice(0, ordered.length - held);
    sequences.push(history);
    train.push(history.slice().sort());
    test.push(ordered.slice(ordered.length - held));
  }
  return { numUsers: data.numUsers, numItems: data.numItems, train, test, sequences };
}
