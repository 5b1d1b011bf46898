import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VIEW_SESSION_EVENTS as EV, type ViewErrorMessage, type ViewFrameMessage } from '@strata/shared';
import { createLogger, nodeViewFrameDecoder } from '@strata/runtime';
import { playViewSession, type ShownFrame } from '@strata/device-client';
import { LinkPipe, ShapingProxy } from '@strata/simulator';
import { SeededRandom } from '@strata/shared';
import {
  GridRenderer,
  ParallelGridRenderer,
  RadianceFrameRenderer,
  RadianceViewerDevice,
  VoxelGrid,
  cameraPose,
  densityShiftForAlpha,
  focalFromFov,
  orbitCamera,
  psnr,
  type MarchSettings,
} from '@strata/tasks';
import { LoopbackViewEdge, connectViewSocket } from '../src/view/measured-view-session.js';

// A real voxel-grid radiance field: a dense ball of radius 0.6 coloured by position, on a 32^3 grid.
const settings: MarchSettings = {
  near: 1,
  far: 7,
  stepRatio: 0.5,
  background: [1, 1, 1],
  densityShift: densityShiftForAlpha(0.01),
  densityUnit: 0.05,
  terminationT: 1e-3,
  weightThreshold: 1e-4,
  occupancyAlpha: 1e-3,
};

function ballGrid(): VoxelGrid {
  const n = 32;
  const grid = VoxelGrid.create({ dims: [n, n, n], bbox: { min: [-1, -1, -1], max: [1, 1, 1] } }, 0);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++)
      for (let k = 0; k < n; k++) {
        const v = (i * n + j) * n + k;
        const [x, y, z] = [i, j, k].map((a) => -1 + (2 * a) / (n - 1));
        grid.density[v] = Math.hypot(x, y, z) < 0.6 ? 8 : -10;
        grid.sh[v] = 2 * x;
        grid.sh[grid.pointCount + v] = 2 * y;
        grid.sh[2 * grid.pointCount + v] = 2 * z;
      }
  return grid;
}

const SIZE = 48;
const FOV = 40;
const focal = focalFromFov((FOV * Math.PI) / 180, SIZE);
const pathOf = (count: number, stepDegrees: number) =>
  Array.from({ length: count }, (_, k) => cameraPose(orbitCamera((k * stepDegrees * Math.PI) / 180, 0.5, 4, SIZE, SIZE, focal)));
const logger = createLogger('view-test', 'silent');

test('the parallel renderer matches the one-thread renderer at full quality and stays close when fast', async () => {
  const grid = ballGrid();
  const parallel = new ParallelGridRenderer(grid, settings, 2);
  try {
    const camera = orbitCamera(0.3, 0.4, 4, SIZE, SIZE, focal);
    const single = new GridRenderer(grid, settings).render(camera);
    const full = await parallel.render(camera, 'full');
    let worst = 0;
    for (let i = 0; i < single.rgb.length; i++) worst = Math.max(worst, Math.abs(single.rgb[i] - full.rgb[i]));
    assert.ok(worst < 1e-5, `largest difference ${worst}`);
    const fast = await parallel.render(camera, 'fast');
    const quality = psnr(fast.rgb, full.rgb);
    assert.ok(quality > 28 && quality < 200, `fast vs full ${quality.toFixed(2)} dB`);
    const draft = await parallel.render(camera, 'draft');
    assert.deepEqual([draft.width, draft.height], [SIZE, SIZE]);
    const draftQuality = psnr(draft.rgb, full.rgb);
    assert.ok(draftQuality > 18 && draftQuality < quality, `draft vs full ${draftQuality.toFixed(2)} dB (fast ${quality.toFixed(2)})`);
  } finally {
    await parallel.close();
  }
});

test('remote and co-rendering sessions over real sockets show frames of the poses sent', async () => {
  const grid = ballGrid();
  const parallel = new ParallelGridRenderer(grid, settings, 2);
  const edge = await LoopbackViewEdge.start(new RadianceFrameRenderer(parallel, settings.near, settings.far), logger);
  const device = RadianceViewerDevice.forGrid(grid, settings, { width: SIZE, height: SIZE, fovXDegrees: FOV, cpuSpeed: 1 });
  const path = pathOf(15, 2);
  const references = await Promise.all(
    path.map(async (pose) => (await parallel.render({ width: SIZE, height: SIZE, focal, c2w: pose.slice(0, 3).flat() }, 'full')).rgb),
  );
  try {
    for (const architecture of ['remote', 'co'] as const) {
      const socket = await connectViewSocket(edge.port, edge.token);
      const shown: ShownFrame[] = [];
      try {
        const result = await playViewSession({
          architecture,
          path,
          rateHz: 30,
          session: { width: SIZE, height: SIZE, fovXDegrees: FOV },
          device,
          decoder: nodeViewFrameDecoder,
          socket,
          onShown: (frame) => shown.push(frame),
          drainMs: 5000,
        });
        assert.ok(result.framesReceived >= 1, `${architecture}: no frame arrived`);
        assert.ok(result.payloadBytes > 0);
        assert.ok(shown.length >= 1);
        for (const frame of shown) {
          assert.ok(frame.latencyMs >= 0);
          assert.ok(frame.contentPose <= frame.userPose || architecture === 'co');
          // What is shown is the scene near the user's pose: a colour image, not noise (band, not a figure).
          const quality = psnr(frame.rgb, references[frame.userPose]);
          assert.ok(quality > 15, `${architecture}: shown frame ${quality.toFixed(2)} dB against the user's pose`);
        }
        if (architecture === 'remote') assert.equal(shown.at(-1)?.contentPose, path.length - 1, 'the newest pose is never dropped');
      } finally {
        socket.close();
      }
    }
  } finally {
    await edge.close();
    await parallel.close();
  }
});

test('under a slow link the edge drops stale poses instead of queueing frames', async () => {
  const grid = ballGrid();
  const parallel = new ParallelGridRenderer(grid, settings, 1);
  const edge = await LoopbackViewEdge.start(new RadianceFrameRenderer(parallel, settings.near, settings.far), logger);
  // 0.5 Mbit/s with 60 ms each way: a 48x48 JPEG takes tens of ms to cross, an acknowledgement a round trip.
  const pipe = new LinkPipe({ latencyMs: 60, jitterMs: 0, upMbps: 0.5, downMbps: 0.5, loss: 0 }, new SeededRandom(1));
  const route = { up: [{ pipe, direction: 'up' as const }], down: [{ pipe, direction: 'down' as const }] };
  const proxy = await ShapingProxy.start({ target: { host: '127.0.0.1', port: edge.port }, route: () => route });
  const socket = await connectViewSocket(proxy.port, edge.token);
  try {
    const device = RadianceViewerDevice.forGrid(grid, settings, { width: SIZE, height: SIZE, fovXDegrees: FOV, cpuSpeed: 1 });
    const path = pathOf(40, 1);
    const result = await playViewSession({
      architecture: 'remote',
      path,
      rateHz: 60,
      session: { width: SIZE, height: SIZE, fovXDegrees: FOV, maxInFlight: 1 },
      device,
      decoder: nodeViewFrameDecoder,
      socket,
      onShown: () => undefined,
      drainMs: 10_000,
    });
    assert.ok(edge.sessions.counters.posesDropped > 0, 'no pose was dropped');
    assert.ok(result.framesReceived < path.length, `${result.framesReceived} frames for ${path.length} poses`);
    assert.equal(edge.sessions.counters.framesSent + edge.sessions.counters.posesDropped, edge.sessions.counters.posesReceived);
  } finally {
    socket.close();
    await proxy.close();
    await edge.close();
    await parallel.close();
  }
});

test('bad session messages are refused with errors naming the problem', async () => {
  const grid = ballGrid();
  const parallel = new ParallelGridRenderer(grid, settings, 1);
  const edge = await LoopbackViewEdge.start(new RadianceFrameRenderer(parallel, settings.near, settings.far), logger);
  try {
    await assert.rejects(connectViewSocket(edge.port, 'wrong-token'), /unauthorized/);
    const socket = await connectViewSocket(edge.port, edge.token);
    const errors: string[] = [];
    const frames: ViewFrameMessage[] = [];
    socket.on(EV.error, (e: ViewErrorMessage) => errors.push(`${e.code}: ${e.message}`));
    socket.on(EV.frame, (f: ViewFrameMessage) => frames.push(f));
    // The newest error after clearing the list, waiting for it to arrive.
    const nextError = async (): Promise<string> => {
      const until = Date.now() + 5000;
      while (errors.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      return errors.splice(0).join(' / ') || '(no error)';
    };
    const pose = pathOf(1, 0)[0];
    socket.emit(EV.pose, { seq: 0, sampledAt: 0, cameraToWorld: pose });
    assert.match(await nextError(), /STRATA_ERR_VIEW_SESSION: view pose before view:start/);
    const tooLarge = (await socket.emitWithAck(EV.start, { mode: 'remote', width: 4000, height: 4000, fovXDegrees: FOV })) as {
      ok: boolean;
      message: string;
    };
    assert.equal(tooLarge.ok, false);
    assert.match(tooLarge.message, /width.*more than 1048576 pixels/);
    errors.length = 0;
    const badMode = (await socket.emitWithAck(EV.start, { mode: 'telepathy', width: 8, height: 8, fovXDegrees: FOV })) as {
      ok: boolean;
      message: string;
    };
    assert.match(badMode.message, /mode/);
    errors.length = 0;
    const ok = (await socket.emitWithAck(EV.start, { mode: 'remote', width: 8, height: 8, fovXDegrees: FOV })) as { ok: boolean };
    assert.equal(ok.ok, true);
    const skewed = pose.map((row, i) => (i === 0 ? [row[0] + 0.5, row[1], row[2], row[3]] : row));
    socket.emit(EV.pose, { seq: 1, sampledAt: 1, cameraToWorld: skewed });
    assert.match(await nextError(), /not orthonormal/);
    socket.emit(EV.pose, { seq: 2, sampledAt: 2, cameraToWorld: pose.map((row) => row.map(() => null)) });
    assert.match(await nextError(), /cameraToWorld/);
    socket.emit(EV.pose, { seq: 3, sampledAt: -5, cameraToWorld: pose });
    assert.match(await nextError(), /sampledAt/);
    socket.emit(EV.pose, 'not a pose');
    assert.match(await nextError(), /view pose: must be an object/);
    socket.emit(EV.pose, { seq: 7, sampledAt: 3, cameraToWorld: pose });
    socket.emit(EV.pose, { seq: 7, sampledAt: 4, cameraToWorld: pose });
    assert.match(await nextError(), /seq 7 is not newer than 7/);
    socket.emit(EV.shown, { frame: 99 });
    assert.match(await nextError(), /view:shown names frame 99/);
    // The session survives its bad messages: the good pose was rendered.
    const until = Date.now() + 5000;
    while (frames.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    assert.equal(frames[0]?.poseSeq, 7);
    socket.close();
  } finally {
    await edge.close();
    await parallel.close();
  }
});
