// A misbehaving viewer for the hostile viewing-session test, run as its own process:
//   node view-session-hostile-viewer.js <edge device url> <token>
// On a real socket.io connection to the edge's /view namespace it sends, one after another, session starts
// and poses that break one rule each (ATTACKS), waits for each refusal (the start's acknowledgement, or the
// view:error a pose or shown report gets) and logs it as {"msg": "refused", "attack", "message"}; a message
// that is not refused logs {"msg": "accepted", "attack"}. Then two floods: FLOOD malformed poses, each of which
// must be answered with its own view:error ({"msg": "flood refused", "errors"}), and FLOOD valid poses at
// once ({"msg": "flood sent"}). It logs {"msg": "done"} and exits.

import { io, type Socket } from 'socket.io-client';
import { VIEW_SESSION_EVENTS as EV, type ViewErrorMessage } from '@strata/shared';

const [url, token] = process.argv.slice(2);
const log = (msg: string, extra: Record<string, unknown> = {}): void => void process.stderr.write(`${JSON.stringify({ msg, ...extra })}\n`);
const FLOOD = 2000;

const START = { mode: 'remote', width: 20, height: 12, fovXDegrees: 40 };
const AT = (z: number): number[][] => [
  [1, 0, 0, 0],
  [0, 1, 0, 0],
  [0, 0, 1, z],
  [0, 0, 0, 1],
];
let seq = 0;
const pose = (cameraToWorld: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  seq: ++seq,
  sampledAt: 0,
  cameraToWorld,
  ...extra,
});

/** Session starts the edge must refuse (its acknowledgement says ok: false and why). */
const STARTS: Record<string, unknown> = {
  'unknown codec': { ...START, colorCodec: 'h264' },
  'codec of the wrong type': { ...START, colorCodec: 7 },
  'codec in capitals': { ...START, colorCodec: 'RGB8' },
  'width as a string': { ...START, width: '20' },
  'huge resolution': { ...START, width: 4096, height: 4096 },
  'width past the most': { ...START, width: 1e9 },
  'fractional height': { ...START, height: 12.5 },
  'NaN field of view': { ...START, fovXDegrees: Number.NaN },
  'field of view of 180 degrees': { ...START, fovXDegrees: 180 },
  'unknown mode': { ...START, mode: 'stream-everything' },
  'in-flight window of 1000': { ...START, maxInFlight: 1000 },
  'jpeg quality 0': { ...START, jpegQuality: 0 },
  'unknown field': { ...START, poseStream: 'udp://evil' },
  'a string': 'start please',
  'an array': [START],
  null: null,
};

/** Poses (in a started session) the edge must refuse with a view:error. */
const POSES: Record<string, () => unknown> = {
  'NaN in the pose': () => pose([[Number.NaN, 0, 0, 0], ...AT(4).slice(1)]),
  'infinite translation': () => pose([[1, 0, 0, Number.POSITIVE_INFINITY], ...AT(4).slice(1)]),
  'huge translation': () => pose([[1, 0, 0, 1e300], ...AT(4).slice(1)]),
  'scaled rotation': () => pose([[2, 0, 0, 0], ...AT(4).slice(1)]),
  'bad last row': () => pose([...AT(4).slice(0, 3), [0, 0, 1, 1]]),
  'three rows': () => pose(AT(4).slice(0, 3)),
  'matrix of strings': () => pose(AT(4).map((row) => row.map(String))),
  'negative seq': () => ({ ...(pose(AT(4)) as object), seq: -1 }),
  'replayed seq': () => ({ ...(pose(AT(4)) as object), seq: 1 }),
  'unknown pose field': () => pose(AT(4), { exposure: 3 }),
  'not an object': () => 42,
};

function once<T>(socket: Socket, event: string): Promise<T> {
  return new Promise((resolve) => socket.once(event, resolve));
}

async function main(): Promise<void> {
  const socket = io(`${url}/view`, { transports: ['websocket'], auth: { token }, reconnection: false, forceNew: true });
  await once(socket, 'connect');
  log('connected');

  const early = once<ViewErrorMessage>(socket, EV.error);
  socket.emit(EV.pose, pose(AT(4)));
  log('refused', { attack: 'pose before start', message: (await early).message });

  for (const [attack, body] of Object.entries(STARTS)) {
    const answer = (await socket.emitWithAck(EV.start, body)) as { ok: boolean; message?: string };
    log(answer.ok ? 'accepted' : 'refused', { attack, message: answer.message });
  }
  const started = (await socket.emitWithAck(EV.start, START)) as { ok: boolean; message?: string };
  if (!started.ok) throw new Error(`a valid start was refused: ${started.message}`);
  // A first valid pose sets the session's seq; the attacks come after it.
  socket.emit(EV.pose, pose(AT(4)));
  for (const [attack, body] of Object.entries(POSES)) {
    const error = once<ViewErrorMessage>(socket, EV.error);
    socket.emit(EV.pose, body());
    const answer = await Promise.race([error, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 10_000))]);
    log(answer ? 'refused' : 'accepted', { attack, message: answer?.message });
  }
  const shown = once<ViewErrorMessage>(socket, EV.error);
  socket.emit(EV.shown, { frame: 1_000_000 });
  log('refused', { attack: 'shown for a frame never sent', message: (await shown).message });

  let errors = 0;
  const all = new Promise<void>((resolve) => {
    const count = (): void => {
      if (++errors < FLOOD) return;
      socket.off(EV.error, count);
      resolve();
    };
    socket.on(EV.error, count);
  });
  for (let i = 0; i < FLOOD; i++) socket.emit(EV.pose, { seq: 'flood', sampledAt: i, cameraToWorld: null });
  await all;
  log('flood refused', { errors });
  for (let i = 0; i < FLOOD; i++) socket.emit(EV.pose, pose(AT(4 + i / FLOOD)));
  log('flood sent');
  socket.close();
  log('done');
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    log('crashed', { error: (error as Error).message });
    process.exit(1);
  },
);
