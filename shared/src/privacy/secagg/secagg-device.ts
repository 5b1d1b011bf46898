// A device's side of a SecAgg+ round as a state machine with no transport: each method takes what the
// edge relayed and returns what to send back, and refuses to run out of turn. The device aborts
// (SecureAggregationAbortError) rather than reveal anything that would let the edge unmask it alone:
// too few neighbours to share with, too few survivors, shares it cannot authenticate.

import type { ModelUpdate } from '../../fl/model.js';
import type { RandomSource } from '../crypto-random.js';
import { generateKeyPair, pairwiseMaskKey, seedCommitment, selfMaskKey, shareEncryptionKeys, type KeyPair } from './key-agreement.js';
import { applyMask } from './mask-expansion.js';
import { NeighbourGraph } from './neighbour-graph.js';
import type {
  AdvertiseKeys,
  MaskedInput,
  RevealedShare,
  Roster,
  SealedShares,
  ShareDelivery,
  ShareKeys,
  UnmaskRequest,
  UnmaskResponse,
} from './secagg-messages.js';
import type { SecAggSession } from './secagg-session.js';
import { SecureAggregationAbortError } from './secure-aggregation-errors.js';
import { openShares, sealShares, type SharePair } from './share-encryption.js';
import { SECRET_BYTES, shareSecret, shareToBytes } from './shamir-secret-sharing.js';
import { yieldToEventLoop } from './yield-to-event-loop.js';

type DevicePhase = 'advertise' | 'share' | 'mask' | 'unmask' | 'done';

export class SecAggDevice {
  private phase: DevicePhase = 'advertise';
  private readonly cipherKeys: KeyPair;
  private readonly maskKeys: KeyPair;
  private readonly seed: Uint8Array;
  private neighbourKeys = new Map<number, AdvertiseKeys>();
  /** The key each neighbour's shares to this device are sealed with (agreed once, in round 1). */
  private readonly openingKeys = new Map<number, Uint8Array>();
  /** Shares the device holds, by the neighbour that dealt them (the neighbours that reached round 1). */
  private readonly held = new Map<number, SharePair>();
  /** Values clipped to the codec's range in the last masked input. */
  clippedValues = 0;

  /**
   * `party` 0: not yet known; the roster assigns it (a device on a link advertises its keys before the edge
   * has numbered the devices that answered).
   */
  constructor(
    private partyNumber: number,
    private readonly session: SecAggSession,
    private readonly random: RandomSource,
  ) {
    if (!(Number.isInteger(partyNumber) && partyNumber >= 0)) throw new RangeError(`party must be an integer >= 0, got ${partyNumber}`);
    this.cipherKeys = generateKeyPair(random);
    this.maskKeys = generateKeyPair(random);
    this.seed = random.fill(new Uint8Array(SECRET_BYTES));
  }

  /** This device's party number (0 until the roster assigns one). */
  get party(): number {
    return this.partyNumber;
  }

  /** Round 0: the two public keys. */
  advertiseKeys(): AdvertiseKeys {
    this.step('advertise', 'share');
    return { party: this.party, cipherPublicKey: this.cipherKeys.publicKey, maskPublicKey: this.maskKeys.publicKey };
  }

  /** Round 1: shares of the mask key and the self-mask seed, sealed to each neighbour (one agreement per neighbour, yielding between them). */
  async shareKeys(roster: Roster): Promise<ShareKeys> {
    this.step('share', 'mask');
    const { sessionId, degree, threshold } = this.session;
    if (roster.party !== undefined) {
      if (this.partyNumber !== 0 && roster.party !== this.partyNumber) {
        this.abort('protocol_violation', `the roster numbers this device ${roster.party}`);
      }
      if (!(Number.isInteger(roster.party) && roster.party >= 1))
        this.abort('protocol_violation', `party ${roster.party} is not a positive integer`);
      this.partyNumber = roster.party;
    }
    if (this.partyNumber === 0) this.abort('protocol_violation', 'the roster assigns this device no party number');
    if (!roster.parties.includes(this.party)) this.abort('protocol_violation', 'the roster leaves this device out');
    if (roster.parties.length < threshold) {
      this.abort('too_few_devices', `${roster.parties.length} devices in the roster, threshold ${threshold}`);
    }
    const neighbours = new NeighbourGraph(roster.parties, degree, sessionId).neighbours(this.party);
    const keys = new Map(roster.neighbourKeys.map((k) => [k.party, k]));
    if (keys.size !== neighbours.length || neighbours.some((n) => !keys.has(n))) {
      this.abort('protocol_violation', "the roster's keys are not those of this device's neighbours");
    }
    if (neighbours.length < threshold) this.abort('too_few_devices', `${neighbours.length} neighbours, threshold ${threshold}`);
    this.neighbourKeys = keys;
    const maskKeyShares = shareSecret(this.maskKeys.secretKey, neighbours, threshold, this.random);
    const selfSeedShares = shareSecret(this.seed, neighbours, threshold, this.random);
    const shares: SealedShares[] = [];
    for (const [i, to] of neighbours.entries()) {
      await yieldToEventLoop();
      const { toPeer, fromPeer } = shareEncryptionKeys(this.cipherKeys.secretKey, keys.get(to)!.cipherPublicKey, sessionId, this.party, to);
      this.openingKeys.set(to, fromPeer);
      const pair = { maskKeyShare: maskKeyShares[i], selfSeedShare: selfSeedShares[i] };
      shares.push({ from: this.party, to, ciphertext: sealShares(toPeer, sessionId, this.party, to, pair) });
    }
    return { party: this.party, seedCommitment: seedCommitment(this.seed, sessionId, this.party), shares };
  }

  /**
   * Round 2: the update, fixed-point encoded and masked with the self mask and one mask per live neighbour,
   * yielding to the event loop between masks.
   */
  async maskInput(update: ModelUpdate, delivery: ShareDelivery): Promise<MaskedInput> {
    this.step('mask', 'unmask');
    const { sessionId, threshold, layout } = this.session;
    for (const sealed of delivery.shares) {
      const key = this.openingKeys.get(sealed.from);
      if (!key || sealed.to !== this.party || this.held.has(sealed.from)) {
        this.abort('protocol_violation', `unexpected shares from party ${sealed.from} to party ${sealed.to}`);
      }
      this.held.set(sealed.from, openShares(key, sessionId, sealed.from, this.party, sealed.ciphertext));
    }
    if (this.held.size < threshold) this.abort('too_few_devices', `${this.held.size} neighbours shared their keys, threshold ${threshold}`);
    const { words, clipped } = layout.encode(update);
    this.clippedValues = clipped;
    applyMask(words, selfMaskKey(this.seed, sessionId, this.party), 1);
    for (const peer of this.held.keys()) {
      await yieldToEventLoop();
      const key = pairwiseMaskKey(this.maskKeys.secretKey, this.neighbourKeys.get(peer)!.maskPublicKey, sessionId, this.party, peer);
      applyMask(words, key, this.party < peer ? 1 : -1);
    }
    return { party: this.party, words };
  }

  /**
   * Round 3: for each neighbour that shared with this device, the share of its self-mask seed if it sent
   * an input, else the share of its mask key; never both for the same neighbour (this method runs once).
   */
  unmask(request: UnmaskRequest): UnmaskResponse {
    this.step('unmask', 'done');
    const survivors = new Set(request.survivors);
    const { threshold } = this.session;
    if (!survivors.has(this.party)) this.abort('protocol_violation', 'the survivors leave out this device, which sent its input');
    if (survivors.size < threshold) this.abort('too_few_devices', `${survivors.size} survivors, threshold ${threshold}`);
    for (const s of survivors) {
      if (s !== this.party && this.neighbourKeys.has(s) && !this.held.has(s)) {
        this.abort('protocol_violation', `party ${s} is called a survivor but never shared its keys`);
      }
    }
    const selfSeedShares: RevealedShare[] = [];
    const maskKeyShares: RevealedShare[] = [];
    for (const [owner, pair] of this.held) {
      if (survivors.has(owner)) selfSeedShares.push({ owner, share: shareToBytes(pair.selfSeedShare) });
      else maskKeyShares.push({ owner, share: shareToBytes(pair.maskKeyShare) });
    }
    return { party: this.party, selfSeedShares, maskKeyShares };
  }

  private step(expected: DevicePhase, next: DevicePhase): void {
    if (this.phase !== expected) this.abort('protocol_violation', `device asked to ${expected} while it is at ${this.phase}`);
    this.phase = next;
  }

  private abort(reason: SecureAggregationAbortError['reason'], message: string): never {
    this.phase = 'done';
    throw new SecureAggregationAbortError(reason, `party ${this.party}: ${message}`);
  }
}
