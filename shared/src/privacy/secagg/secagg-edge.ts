// The edge's side of a SecAgg+ round as a state machine with no transport: it collects each round's
// messages (refusing bad ones: their senders count as dropped), closes the round when its quorum or
// deadline says so, routes what devices send each other, and in the end removes the masks: the self masks
// of the devices whose inputs it holds (from shares of their seeds) and the pairwise masks those inputs
// still carry with neighbours that dropped out after sharing (from shares of the dropped devices' mask
// keys). It learns the sum and nothing about any one input. Every reconstructed secret is checked (a seed
// against its commitment, a key against its public key), so a wrong share aborts the round instead of
// corrupting the sum.

import type { SecureAggregate } from './masked-vector-layout.js';
import { applyMask } from './mask-expansion.js';
import { KEY_BYTES, pairwiseMaskKey, publicKeyOf, seedCommitment, selfMaskKey } from './key-agreement.js';
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
import { SecureAggregationAbortError, SecureAggregationMessageError, type SecureAggregationRefusal } from './secure-aggregation-errors.js';
import { SEALED_SHARES_BYTES } from './share-encryption.js';
import { SHARE_BYTES, reconstructSecret, shareFromBytes, type SecretShare } from './shamir-secret-sharing.js';
import { yieldToEventLoop } from './yield-to-event-loop.js';

type EdgePhase = 'advertise' | 'share' | 'mask' | 'unmask' | 'done';

/** What happened to the devices of a round, for metrics. */
export interface SecAggRoundStats {
  readonly advertised: number;
  readonly shared: number;
  readonly inputs: number;
  /** Devices that dropped out after sharing and before their input: their masks were reconstructed away. */
  readonly droppedAfterSharing: number;
  readonly unmaskResponses: number;
}

const bytesEqual = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

export class SecAggEdge {
  private phase: EdgePhase = 'advertise';
  private readonly keys = new Map<number, AdvertiseKeys>();
  private graph: NeighbourGraph | undefined;
  private readonly commitments = new Map<number, Uint8Array>();
  private readonly sealed = new Map<number, readonly SealedShares[]>();
  private readonly inputs = new Map<number, Uint32Array>();
  private readonly responses = new Map<number, UnmaskResponse>();

  /** `pause` runs between masks while unmasking (default: a turn of the event loop; the simulator's edges pass none). */
  constructor(
    private readonly session: SecAggSession,
    private readonly pause: () => Promise<void> = yieldToEventLoop,
  ) {}

  receiveKeys(message: AdvertiseKeys): void {
    this.expect('advertise', message.party);
    if (!(Number.isInteger(message.party) && message.party >= 1))
      this.refuse(message.party, 'secagg_party', 'party ids are positive integers');
    if (this.keys.has(message.party)) this.refuse(message.party, 'secagg_replay', 'keys already received');
    if (message.cipherPublicKey.length !== KEY_BYTES || message.maskPublicKey.length !== KEY_BYTES) {
      this.refuse(message.party, 'secagg_length', 'public keys are 32 bytes');
    }
    for (const other of this.keys.values()) {
      if (bytesEqual(other.maskPublicKey, message.maskPublicKey) || bytesEqual(other.cipherPublicKey, message.cipherPublicKey)) {
        this.refuse(message.party, 'secagg_replay', `public key already advertised by party ${other.party}`);
      }
    }
    this.keys.set(message.party, message);
  }

  /** Ends round 0: the roster for each device that advertised keys. */
  closeAdvertising(): Map<number, Roster> {
    this.close('advertise', 'share', this.keys.size, 'advertised keys');
    const maxParties = this.session.layout.codec.maxParties;
    if (this.keys.size > maxParties) {
      this.abort('protocol_violation', `${this.keys.size} devices, but the fixed-point codec sums at most ${maxParties}`);
    }
    const parties = [...this.keys.keys()].sort((a, b) => a - b);
    this.graph = new NeighbourGraph(parties, this.session.degree, this.session.sessionId);
    const rosters = new Map<number, Roster>();
    for (const party of parties) {
      rosters.set(party, { parties, neighbourKeys: this.graph.neighbours(party).map((n) => this.keys.get(n)!) });
    }
    return rosters;
  }

  receiveShares(message: ShareKeys): void {
    this.expect('share', message.party);
    const { party } = message;
    if (!this.keys.has(party)) this.refuse(party, 'secagg_party', 'it advertised no keys');
    if (this.sealed.has(party)) this.refuse(party, 'secagg_replay', 'shares already received');
    if (message.seedCommitment.length !== KEY_BYTES) this.refuse(party, 'secagg_length', 'the seed commitment is 32 bytes');
    const neighbours = this.graphOf().neighbours(party);
    const addressed = new Set(message.shares.map((s) => s.to));
    if (message.shares.length !== neighbours.length || neighbours.some((n) => !addressed.has(n))) {
      this.refuse(party, 'secagg_party', 'shares must go to each neighbour exactly once');
    }
    for (const s of message.shares) {
      if (s.from !== party) this.refuse(party, 'secagg_party', `sealed shares for party ${s.to} say they are from party ${s.from}`);
      if (s.ciphertext.length !== SEALED_SHARES_BYTES) this.refuse(party, 'secagg_length', `sealed shares for party ${s.to} are malformed`);
    }
    this.commitments.set(party, message.seedCommitment);
    this.sealed.set(party, message.shares);
  }

  /** Ends round 1: for each device that shared, the sealed shares its neighbours sent it. */
  closeSharing(): Map<number, ShareDelivery> {
    this.close('share', 'mask', this.sealed.size, 'shared their keys');
    const inbox = new Map<number, SealedShares[]>([...this.sealed.keys()].map((p) => [p, []]));
    for (const shares of this.sealed.values()) for (const s of shares) inbox.get(s.to)?.push(s);
    return new Map([...inbox].map(([party, shares]) => [party, { shares }]));
  }

  receiveMaskedInput(message: MaskedInput): void {
    this.expect('mask', message.party);
    if (!this.sealed.has(message.party)) this.refuse(message.party, 'secagg_party', 'it did not share its keys');
    if (this.inputs.has(message.party)) this.refuse(message.party, 'secagg_replay', 'input already received');
    const length = this.session.layout.length;
    if (message.words.length !== length)
      this.refuse(message.party, 'secagg_length', `a masked input is ${length} words, got ${message.words.length}`);
    this.inputs.set(message.party, message.words);
  }

  /** Ends round 2: the survivors, to send every one of them. */
  closeMasking(): UnmaskRequest {
    this.close('mask', 'unmask', this.inputs.size, 'sent a masked input');
    return { survivors: [...this.inputs.keys()].sort((a, b) => a - b) };
  }

  receiveUnmask(message: UnmaskResponse): void {
    this.expect('unmask', message.party);
    const { party } = message;
    if (!this.inputs.has(party)) this.refuse(party, 'secagg_party', 'only devices whose input the edge holds answer the unmask request');
    if (this.responses.has(party)) this.refuse(party, 'secagg_replay', 'unmask response already received');
    const neighbours = this.graphOf().neighbours(party);
    const check = (shares: readonly RevealedShare[], wantSurvivor: boolean): void => {
      for (const { owner, share } of shares) {
        const valid =
          neighbours.includes(owner) && this.sealed.has(owner) && this.inputs.has(owner) === wantSurvivor && share.length === SHARE_BYTES;
        if (!valid)
          this.refuse(
            party,
            'secagg_party',
            `it revealed a share of party ${owner}'s ${wantSurvivor ? 'seed' : 'mask key'} that it may not`,
          );
      }
    };
    check(message.selfSeedShares, true);
    check(message.maskKeyShares, false);
    this.responses.set(party, message);
  }

  /** Ends round 3: removes the masks (yielding to the event loop between them) and returns the decoded sum, or aborts. */
  async finish(): Promise<SecureAggregate> {
    this.ensure('unmask');
    this.phase = 'done';
    const { sessionId, layout } = this.session;
    const graph = this.graphOf();
    const sum = new Uint32Array(layout.length);
    for (const words of this.inputs.values()) for (let i = 0; i < sum.length; i++) sum[i] += words[i];

    for (const owner of this.inputs.keys()) {
      await this.pause();
      const seed = this.reconstruct(owner, 'seed');
      if (!bytesEqual(seedCommitment(seed, sessionId, owner), this.commitments.get(owner)!)) {
        this.abort(
          'share_mismatch',
          `the self-mask seed of party ${owner} rebuilt from its neighbours' shares does not match its commitment`,
        );
      }
      applyMask(sum, selfMaskKey(seed, sessionId, owner), -1);
    }
    for (const dropped of this.sealed.keys()) {
      if (this.inputs.has(dropped)) continue;
      await this.pause();
      const secretKey = this.reconstruct(dropped, 'mask key');
      const advertised = this.keys.get(dropped)!;
      if (!bytesEqual(publicKeyOf(secretKey), advertised.maskPublicKey)) {
        this.abort(
          'share_mismatch',
          `the mask key of dropped party ${dropped} rebuilt from its neighbours' shares does not match its public key`,
        );
      }
      for (const peer of graph.neighbours(dropped)) {
        if (!this.inputs.has(peer)) continue;
        await this.pause();
        // The survivor added +mask when its id is the smaller, -mask otherwise: take that back.
        applyMask(sum, pairwiseMaskKey(secretKey, this.keys.get(peer)!.maskPublicKey, sessionId, dropped, peer), peer < dropped ? -1 : 1);
      }
    }
    return layout.decodeSum(sum, this.inputs.size);
  }

  stats(): SecAggRoundStats {
    return {
      advertised: this.keys.size,
      shared: this.sealed.size,
      inputs: this.inputs.size,
      droppedAfterSharing: this.sealed.size - this.inputs.size,
      unmaskResponses: this.responses.size,
    };
  }

  /** The secret of `owner` from the first `threshold` shares its neighbours revealed. */
  private reconstruct(owner: number, kind: 'seed' | 'mask key'): Uint8Array {
    const threshold = this.session.threshold;
    const shares: SecretShare[] = [];
    for (const response of this.responses.values()) {
      const revealed = kind === 'seed' ? response.selfSeedShares : response.maskKeyShares;
      const mine = revealed.find((r) => r.owner === owner);
      if (mine) shares.push(shareFromBytes(response.party, mine.share));
    }
    if (shares.length < threshold) {
      this.abort('too_few_shares', `${shares.length} shares of party ${owner}'s ${kind} came back, ${threshold} are needed`);
    }
    shares.sort((a, b) => a.x - b.x);
    return reconstructSecret(shares, threshold);
  }

  private graphOf(): NeighbourGraph {
    if (!this.graph) throw new SecureAggregationAbortError('protocol_violation', 'the roster is not closed yet');
    return this.graph;
  }

  private expect(phase: EdgePhase, party: number): void {
    if (this.phase !== phase) throw new SecureAggregationMessageError(party, 'secagg_turn', `the edge is at ${this.phase}, not ${phase}`);
  }

  private ensure(phase: EdgePhase): void {
    if (this.phase !== phase) this.abort('protocol_violation', `the edge was asked to end ${phase} while it is at ${this.phase}`);
  }

  /** Moves to the next round, or aborts if fewer than the threshold are left. */
  private close(phase: EdgePhase, next: EdgePhase, count: number, what: string): void {
    this.ensure(phase);
    if (count < this.session.threshold) this.abort('too_few_devices', `${count} devices ${what}, threshold ${this.session.threshold}`);
    this.phase = next;
  }

  private refuse(party: number, reason: SecureAggregationRefusal, message: string): never {
    throw new SecureAggregationMessageError(party, reason, message);
  }

  private abort(reason: SecureAggregationAbortError['reason'], message: string): never {
    this.phase = 'done';
    throw new SecureAggregationAbortError(reason, message);
  }
}
