// One edge iteration under secure aggregation (SecAgg+): the edge learns the weighted mean of its devices'
// updates and nothing about any one of them. Four exchanges with the selected devices, each a request and
// its reply on the device link (secure-aggregation-frames.ts):
//   0. the training request with the session's setup; a device trains and answers with its public keys
//      (the quorum and the edge deadline close this step, as for a plaintext iteration);
//   1. each device that answered gets the roster (its party number, its neighbours' keys) and answers with
//      shares of its secrets sealed to its neighbours;
//   2. each gets the sealed shares addressed to it and answers with its masked input;
//   3. each device whose input arrived gets the survivors and answers with shares that unmask the sum.
// Steps 1-3 wait for every device still in, up to stepSeconds each. A device that drops out after step 1
// is recovered (its pairwise masks are rebuilt from its neighbours' shares) and counted; a session left
// with fewer than the threshold aborts, is counted, and the iteration contributes nothing. A reply that
// does not decode (reason 'malformed'), names another sender ('sender'), or breaks the protocol (the
// SecureAggregationRefusal: another session, another party, a replay, a wrong length, out of turn) is refused,
// counted under that reason, and its device counts as dropped.

import {
  InvalidUpdateError,
  SecAggEdge,
  SecureAggregationAbortError,
  SecureAggregationMessageError,
  StrataError,
  WireFormatError,
  MAX_SECAGG_NAMES,
  RoundTimeoutError,
  countReason,
  decodeSecAggReply,
  encodeSecAggRoster,
  encodeSecAggShareDelivery,
  encodeSecAggUnmaskRequest,
  sessionIdOf,
  gatherQuorum,
  quorumSize,
  sameSession,
  secAggParameters,
  secAggSession,
  distributedNoiseStd,
  type Clock,
  type EdgeRoundJob,
  type EdgeParticipation,
  type Logger,
  type MaskedVectorLayout,
  type ModelParams,
  type PeerConnection,
  type SecAggFrame,
  type SecAggFrameKind,
  type SecAggSetup,
  type SecureAggregate,
  type SecureAggregationConfig,
  type ModelUpdate,
  type TensorValue,
} from '@strata/shared';

export interface SecureSumOptions {
  readonly devices: readonly PeerConnection[];
  /** The model the devices train from (the layout is derived from its tensors). */
  readonly model: ModelParams;
  readonly setup: SecAggSetup;
  /** Step 0: sends a device its training request (with the setup) and returns its reply. */
  readonly train: (device: PeerConnection, index: number) => Promise<Uint8Array>;
  readonly quorum: number;
  readonly trainDeadlineMs: number;
  readonly stepDeadlineMs: number;
  readonly participation: EdgeParticipation;
  readonly replyLimit?: number;
  readonly clock?: Clock;
  readonly logger: Logger;
  readonly onReject?: (reason: string, deviceId: string) => void;
  /** Runs between masks while unmasking (default: a turn of the event loop). */
  readonly pause?: () => Promise<void>;
}

/**
 * The session's setup for `selected` devices, from the job's settings and the task's weight cap. Under
 * distributed DP each device's noise share is σC/√t: a sum over at least t devices (the session aborts below
 * t) carries at least N(0, σ²C²) from honest devices, as long as at least t of its devices are honest.
 */
export function secureSetup(
  selected: number,
  config: Omit<SecureAggregationConfig, 'enabled'>,
  weightCap: number,
  sessionLabel: string,
  privacy?: EdgeRoundJob['privacy'],
): SecAggSetup | undefined {
  if (selected < 3) return undefined;
  const { degree, threshold } = secAggParameters(selected, { dropoutRate: config.dropoutRate });
  const noise = privacy?.distributedNoiseMultiplier;
  return {
    ...(noise ? { dpClipNorm: privacy.clipNorm, dpNoiseStd: distributedNoiseStd(noise, privacy.clipNorm, threshold) } : {}),
    // Binds every key and message to this session; unique per round, edge, iteration (devices' keys are fresh each time).
    sessionId: sessionIdOf(sessionLabel),
    degree,
    threshold,
    clipRange: config.clipRange,
    weightCap,
    metricBound: config.metricBound,
  };
}

/** Runs the session; undefined when it aborted (counted in participation.secAggAborted). */
export async function secureDeviceSum(options: SecureSumOptions): Promise<SecureAggregate | undefined> {
  const { devices, participation, setup, logger } = options;
  const reject = (device: PeerConnection, error: Error): void => {
    const reason =
      error instanceof SecureAggregationMessageError || error instanceof InvalidUpdateError
        ? error.reason
        : error instanceof WireFormatError
          ? 'malformed'
          : error instanceof StrataError
            ? 'secagg'
            : 'error';
    countReason(participation.rejected, reason);
    options.onReject?.(reason, device.info.nodeId);
    logger.warn({ deviceId: device.info.nodeId, error: error.message }, 'secure-aggregation reply refused');
  };

  /** Sends each (device, frame) and decodes the replies of `kind` that come back in time, from the right sender. */
  const exchange = async <K extends SecAggFrameKind>(
    kind: K,
    sends: readonly { device: PeerConnection; request: () => Promise<Uint8Array> }[],
    needed: number,
    deadlineMs: number,
  ): Promise<{ index: number; frame: Extract<SecAggFrame, { kind: K }> }[]> => {
    const gathered = await gatherQuorum(
      sends.map((s) => s.request()),
      needed,
      deadlineMs,
      options.clock,
    );
    participation.dropped += gathered.late;
    const replies: { index: number; frame: Extract<SecAggFrame, { kind: K }> }[] = [];
    for (const { index, value } of gathered.answers) {
      participation.bytesUp += value.byteLength;
      const { device } = sends[index];
      try {
        const frame = decodeSecAggReply(value, kind, options.replyLimit);
        if ('sender' in frame && frame.sender !== device.info.nodeId) {
          throw new InvalidUpdateError(
            'sender',
            `reply says it is from ${JSON.stringify(frame.sender)}, the link is ${device.info.nodeId}`,
          );
        }
        if (!sameSession(frame.sessionId, setup.sessionId)) {
          throw new SecureAggregationMessageError(0, 'secagg_session', 'reply to another session');
        }
        replies.push({ index, frame });
      } catch (error) {
        reject(device, error as Error);
      }
    }
    for (const { index, error } of gathered.failed) {
      if (error instanceof WireFormatError) reject(sends[index].device, error);
      else if (error instanceof RoundTimeoutError) participation.dropped++;
      else {
        participation.failed++;
        logger.warn({ deviceId: sends[index].device.info.nodeId, error: error.message }, 'device request failed');
      }
    }
    return replies;
  };

  const send = (device: PeerConnection, frame: Uint8Array, deadlineMs: number) => ({
    device,
    request: () => {
      participation.bytesDown += frame.byteLength;
      return device.request(frame, deadlineMs);
    },
  });

  participation.selected += devices.length;
  try {
    // 0: train and advertise keys. Party numbers follow the selection order of the devices that answered.
    const advertised = await exchange(
      'advertiseKeys',
      devices.map((device, i) => ({ device, request: () => options.train(device, i) })),
      quorumSize(devices.length, options.quorum),
      options.trainDeadlineMs,
    );
    const partyDevice = new Map<number, PeerConnection>();
    const metricNames = new Set<string>();
    const sparse = new Set<string>();
    advertised.forEach(({ index, frame }, k) => {
      partyDevice.set(k + 1, devices[index]);
      for (const name of frame.keys.metricNames) metricNames.add(name);
      for (const name of frame.keys.sparseTensors) if (options.model.has(name)) sparse.add(name);
    });
    const names = { metricNames: [...metricNames].sort().slice(0, MAX_SECAGG_NAMES), sparseTensors: [...sparse].sort() };
    if (advertised.length < 3)
      throw new SecureAggregationAbortError('too_few_devices', `${advertised.length} devices advertised keys, at least 3 are needed`);
    // The layout's fixed-point scale depends on how many devices the roster holds, which the devices read from
    // it: it is bound once the keys are in, so a refused key message cannot make the two scales differ.
    const binding: { layout?: MaskedVectorLayout } = {};
    const edge = new SecAggEdge(
      {
        sessionId: setup.sessionId,
        degree: setup.degree,
        threshold: setup.threshold,
        get layout(): MaskedVectorLayout {
          if (!binding.layout) throw new SecureAggregationAbortError('protocol_violation', 'the session has no roster yet');
          return binding.layout;
        },
      },
      options.pause,
    );
    let accepted = 0;
    advertised.forEach(({ frame }, k) => {
      try {
        edge.receiveKeys({ party: k + 1, cipherPublicKey: frame.keys.cipherPublicKey, maskPublicKey: frame.keys.maskPublicKey });
        accepted++;
      } catch (error) {
        reject(partyDevice.get(k + 1)!, error as Error);
      }
    });
    binding.layout = secAggSession(options.model, setup, names, accepted).layout;

    // 1: rosters out, sealed shares back.
    const rosters = edge.closeAdvertising();
    const stepMs = options.stepDeadlineMs;
    const parties = [...rosters.keys()];
    const shared = await exchange(
      'shareKeys',
      parties.map((party) =>
        send(partyDevice.get(party)!, encodeSecAggRoster(setup.sessionId, { ...rosters.get(party)!, party, ...names }), stepMs),
      ),
      parties.length,
      stepMs,
    );
    for (const { index, frame } of shared)
      accept(parties[index], frame.message.party, partyDevice, reject, () => edge.receiveShares(frame.message));

    // 2: each device's sealed shares out, masked inputs back.
    const deliveries = edge.closeSharing();
    const sharers = [...deliveries.keys()];
    const masked = await exchange(
      'maskedInput',
      sharers.map((party) => send(partyDevice.get(party)!, encodeSecAggShareDelivery(setup.sessionId, deliveries.get(party)!), stepMs)),
      sharers.length,
      stepMs,
    );
    for (const { index, frame } of masked)
      accept(sharers[index], frame.message.party, partyDevice, reject, () => edge.receiveMaskedInput(frame.message));

    // 3: the survivors out, unmasking shares back; then the sum.
    const request = edge.closeMasking();
    const unmaskFrame = encodeSecAggUnmaskRequest(setup.sessionId, request);
    const unmasked = await exchange(
      'unmaskResponse',
      request.survivors.map((party) => send(partyDevice.get(party)!, unmaskFrame, stepMs)),
      request.survivors.length,
      stepMs,
    );
    for (const { index, frame } of unmasked) {
      accept(request.survivors[index], frame.message.party, partyDevice, reject, () => edge.receiveUnmask(frame.message));
    }
    const aggregate = await edge.finish();
    const stats = edge.stats();
    participation.answered += aggregate.parties;
    participation.secAggRecovered = (participation.secAggRecovered ?? 0) + stats.droppedAfterSharing;
    logger.info({ parties: aggregate.parties, ...stats }, 'secure aggregation done');
    return aggregate;
  } catch (error) {
    if (!(error instanceof SecureAggregationAbortError)) throw error;
    participation.secAggAborted = (participation.secAggAborted ?? 0) + 1;
    logger.warn({ reason: error.reason, error: error.message }, 'secure aggregation aborted: the iteration contributes nothing');
    return undefined;
  }
}

/** Feeds a reply to the edge state machine if it names the party its link was given; refuses it otherwise. */
function accept(
  party: number,
  claimed: number,
  partyDevice: ReadonlyMap<number, PeerConnection>,
  reject: (device: PeerConnection, error: Error) => void,
  receive: () => void,
): void {
  const device = partyDevice.get(party)!;
  try {
    if (claimed !== party) throw new SecureAggregationMessageError(party, 'secagg_party', `the reply says it is from party ${claimed}`);
    receive();
  } catch (error) {
    if (!(error instanceof SecureAggregationMessageError)) throw error;
    reject(device, error);
  }
}

/** The unmasked sum as an update: Σ w Δ per tensor (dense), weight Σ w, the metrics' sums. */
export function secureSum(aggregate: SecureAggregate): ModelUpdate {
  const delta = new Map<string, TensorValue>();
  for (const [name, values] of aggregate.weightedSum) {
    delta.set(name, { kind: 'dense', shape: [...aggregate.mean.delta.get(name)!.shape], values });
  }
  return { delta, weight: aggregate.weight, metrics: aggregate.mean.metrics };
}
