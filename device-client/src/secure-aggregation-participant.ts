// A device's part in its edge's secure-aggregation sessions, on the link: it turns a training request
// with a SecAggSetup (already trained on) and the edge's three later requests into the SecAggDevice state
// machine's steps, and their answers into frames. It holds one session at a time (the update stays on the
// device until it goes up masked); a new setup replaces an unfinished session. Keys and seeds are fresh
// for every session, from the platform's entropy. Under distributed DP (the setup's dpClipNorm) the device
// clips its update to C, adds its share of the Gaussian noise from the same cryptographic generator, and
// weighs 1, before anything is masked.

import {
  CryptoRandom,
  addGaussianNoise,
  clipUpdate,
  SecAggDevice,
  StrataError,
  encodeSecAggKeys,
  encodeSecAggMaskedInput,
  encodeSecAggShareKeys,
  encodeSecAggUnmaskResponse,
  sameSession,
  secAggSession,
  type MaskedVectorLayout,
  type ModelParams,
  type ModelUpdate,
  type SecAggFrame,
  type SecAggSession,
  type SecAggSetup,
  type TensorValue,
} from '@strata/shared';

interface OpenSession {
  readonly setup: SecAggSetup;
  readonly model: ModelParams;
  readonly update: ModelUpdate;
  readonly device: SecAggDevice;
  /** Set from the roster: the layout depends on how many devices are in and which metrics they carry. */
  readonly binding: { layout: MaskedVectorLayout | undefined };
}

/** The update with its weight and row weights no larger than the session's weight cap (what the edge would clip in the clear). */
function capWeights(update: ModelUpdate, cap: number): ModelUpdate {
  const delta = new Map<string, TensorValue>();
  for (const [name, value] of update.delta) {
    if (value.kind === 'sparse' && value.rowWeights?.some((w) => w > cap)) {
      delta.set(name, { ...value, rowWeights: value.rowWeights.map((w) => Math.min(w, cap)) });
    } else delta.set(name, value);
  }
  const weight = Math.min(update.weight, cap);
  const scale = update.weight > 0 ? weight / update.weight : 0;
  const metrics = Object.fromEntries(Object.entries(update.metrics).map(([k, v]) => [k, v * scale]));
  return { delta, weight, metrics };
}

/** The update as distributed DP sends it: clipped to C, N(0, std²) on every coordinate (all tensors dense), weight 1. */
function noiseShare(update: ModelUpdate, clipNorm: number, noiseStd: number, random: CryptoRandom): ModelUpdate {
  const noised = addGaussianNoise(clipUpdate(update, clipNorm).update, noiseStd, random);
  return { ...noised, weight: 1 };
}

export class SecureAggregationParticipant {
  private open: OpenSession | undefined;

  constructor(
    private readonly nodeId: string,
    private readonly random: () => CryptoRandom = () => CryptoRandom.fromEntropy(),
  ) {}

  /** Values the last masked input clipped to the codec's range (a device-side count; the edge cannot see it). */
  clippedValues = 0;

  /** Opens a session with the update just trained; answers with the device's keys. */
  begin(setup: SecAggSetup, model: ModelParams, update: ModelUpdate): Uint8Array {
    const binding: { layout: MaskedVectorLayout | undefined } = { layout: undefined };
    const session: SecAggSession = {
      sessionId: setup.sessionId,
      degree: setup.degree,
      threshold: setup.threshold,
      get layout(): MaskedVectorLayout {
        if (!binding.layout) throw new StrataError('STRATA_ERR_SECAGG_ABORT', 'the session has no roster yet');
        return binding.layout;
      },
    };
    const random = this.random();
    const device = new SecAggDevice(0, session, random);
    const sent =
      setup.dpClipNorm !== undefined && setup.dpNoiseStd !== undefined
        ? noiseShare(update, setup.dpClipNorm, setup.dpNoiseStd, random)
        : capWeights(update, setup.weightCap);
    const open: OpenSession = { setup, model, update: sent, device, binding };
    this.open = open;
    const { cipherPublicKey, maskPublicKey } = device.advertiseKeys();
    return encodeSecAggKeys(setup.sessionId, this.nodeId, {
      cipherPublicKey,
      maskPublicKey,
      metricNames: Object.keys(open.update.metrics).sort(),
      sparseTensors: [...open.update.delta].filter(([, t]) => t.kind === 'sparse').map(([name]) => name),
    });
  }

  /** Answers one of the edge's later requests of the open session. */
  async answer(frame: SecAggFrame): Promise<Uint8Array> {
    const open = this.open;
    if (!open || !sameSession(open.setup.sessionId, frame.sessionId)) {
      throw new StrataError(
        'STRATA_ERR_SECAGG_MESSAGE',
        `device ${this.nodeId} has no open secure-aggregation session for this ${frame.kind}`,
      );
    }
    const { sessionId } = open.setup;
    try {
      switch (frame.kind) {
        case 'roster': {
          const { roster } = frame;
          open.binding.layout = secAggSession(open.model, open.setup, roster, roster.parties.length).layout;
          return encodeSecAggShareKeys(sessionId, this.nodeId, await open.device.shareKeys(roster));
        }
        case 'shareDelivery': {
          const input = await open.device.maskInput(open.update, frame.message);
          this.clippedValues = open.device.clippedValues;
          return encodeSecAggMaskedInput(sessionId, this.nodeId, input);
        }
        case 'unmaskRequest': {
          const reply = encodeSecAggUnmaskResponse(sessionId, this.nodeId, open.device.unmask(frame.message));
          this.open = undefined;
          return reply;
        }
        default:
          throw new StrataError('STRATA_ERR_SECAGG_MESSAGE', `a device is not sent a ${frame.kind}`);
      }
    } catch (error) {
      // An aborted session is over for this device: its update never leaves unmasked.
      this.open = undefined;
      throw error;
    }
  }
}
