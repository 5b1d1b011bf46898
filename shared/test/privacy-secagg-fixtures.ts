// Helpers for the secure-aggregation tests: a whole round run in one process, with hooks to drop devices
// or tamper with messages between the device and edge state machines.

import {
  CryptoRandom,
  FixedPointCodec,
  MaskedVectorLayout,
  SecAggDevice,
  SecAggEdge,
  sessionIdOf,
  type MaskedMetricSpec,
  type MaskedTensorSpec,
  type ModelUpdate,
  type SecureAggregate,
  type UnmaskResponse,
} from '../src/index.js';

export const seeded = (label: number): CryptoRandom => CryptoRandom.fromSeed(new Uint8Array(32).fill(label));

export interface RoundSetup {
  readonly tensors: readonly MaskedTensorSpec[];
  readonly metrics?: readonly MaskedMetricSpec[];
  readonly updates: readonly ModelUpdate[];
  readonly degree: number;
  readonly threshold: number;
  readonly clipRange?: number;
  readonly weightCap?: number;
  /** Indices of devices that share their keys and then go silent: their inputs never reach the edge. */
  readonly dropBeforeInput?: ReadonlySet<number>;
  /** Indices of devices that send their masked input and then go silent. */
  readonly dropAfterInput?: ReadonlySet<number>;
  /** Indices of devices that never answer the unmask request (on top of dropAfterInput). */
  readonly silentAtUnmask?: ReadonlySet<number>;
  /** A chance to change an unmask response before the edge sees it. */
  readonly tamperUnmask?: (response: UnmaskResponse) => UnmaskResponse;
}

export function layoutFor(setup: Pick<RoundSetup, 'tensors' | 'metrics' | 'clipRange' | 'weightCap' | 'updates'>): MaskedVectorLayout {
  const codec = new FixedPointCodec({ clipRange: setup.clipRange ?? 1, maxParties: setup.updates.length });
  return new MaskedVectorLayout(setup.tensors, setup.weightCap ?? 10, codec, setup.metrics);
}

/** Runs one round; devices are parties 1..n in update order. */
export async function runRound(setup: RoundSetup): Promise<{ aggregate: SecureAggregate; edge: SecAggEdge; layout: MaskedVectorLayout }> {
  const layout = layoutFor(setup);
  const session = { sessionId: sessionIdOf('round-1/region-a/0'), degree: setup.degree, threshold: setup.threshold, layout };
  const devices = setup.updates.map((_, i) => new SecAggDevice(i + 1, session, seeded(i + 1)));
  const edge = new SecAggEdge(session);
  for (const d of devices) edge.receiveKeys(d.advertiseKeys());
  const rosters = edge.closeAdvertising();
  for (const d of devices) edge.receiveShares(await d.shareKeys(rosters.get(d.party)!));
  const deliveries = edge.closeSharing();
  for (const [i, d] of devices.entries()) {
    if (!setup.dropBeforeInput?.has(i)) edge.receiveMaskedInput(await d.maskInput(setup.updates[i], deliveries.get(d.party)!));
  }
  const request = edge.closeMasking();
  devices.forEach((d, i) => {
    if (setup.dropBeforeInput?.has(i) || setup.dropAfterInput?.has(i) || setup.silentAtUnmask?.has(i)) return;
    const response = d.unmask(request);
    edge.receiveUnmask(setup.tamperUnmask ? setup.tamperUnmask(response) : response);
  });
  return { aggregate: await edge.finish(), edge, layout };
}
