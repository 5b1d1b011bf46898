// Viewing sessions (issue 17) against a hostile viewer process, on real socket.io connections to a real edge
// daemon with the radiance task (its model from one real round): session starts with an unknown or mistyped
// colour codec, huge or fractional resolutions, a NaN or 180-degree field of view, unknown fields, and poses
// with NaN, infinite or huge entries, a rotation that is not one, a replayed seq, plus a flood of malformed
// poses and one of valid poses. Each bad message is refused with a view:error (or a refused start) naming the
// problem and counted in the edge's /metrics, while an honest viewer on the same edge keeps getting frames.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { VIEW_SESSION_EVENTS as EV, type ViewFrameMessage } from '@strata/shared';
import { io as connect } from 'socket.io-client';
import { DaemonProcess, fileDeployment, TOKEN, metric, scrape, waitForHealth } from './distributed-support.js';

const TASK_OPTIONS = { procedural: true, imageRes: 16, grid: 16, devices: 2, evalViews: 1, snapshotViews: 0, batchSize: 1024 };
const TASK_ARGS = ['--task', 'radiance/voxel-grid', ...Object.entries(TASK_OPTIONS).flatMap(([k, v]) => ['--task-option', `${k}=${v}`])];

const { deployment, scratch } = fileDeployment('view-session-hostile');

/** Each attack of view-session-hostile-viewer.ts, and what its refusal must say. */
const REFUSALS: Record<string, RegExp> = {
  'pose before start': /view pose before view:start/,
  'unknown codec': /colorCodec/,
  'codec of the wrong type': /colorCodec/,
  'codec in capitals': /colorCodec/,
  'width as a string': /width/,
  'huge resolution': /4096 x 4096 is more than 1048576 pixels/,
  'width past the most': /width/,
  'fractional height': /height/,
  'NaN field of view': /fovXDegrees/,
  'field of view of 180 degrees': /fovXDegrees/,
  'unknown mode': /mode/,
  'in-flight window of 1000': /maxInFlight/,
  'jpeg quality 0': /jpegQuality/,
  'unknown field': /poseStream/,
  'unknown pose field': /exposure/,
  'a string': /must be an object/,
  'an array': /must be an object/,
  null: /must be an object/,
  'NaN in the pose': /cameraToWorld/,
  'infinite translation': /cameraToWorld/,
  'huge translation': /camera stands at 1e\+300 on axis 0, farther than 1000000 from the origin/,
  'scaled rotation': /not orthonormal/,
  'bad last row': /last row must be \[0, 0, 0, 1\]/,
  'three rows': /cameraToWorld/,
  'matrix of strings': /cameraToWorld/,
  'negative seq': /seq/,
  'replayed seq': /seq 1 is not newer/,
  'not an object': /must be an object/,
  'shown for a frame never sent': /view:shown names frame 1000000/,
};

test('a hostile viewer process is refused message by message while an honest viewer keeps getting frames', {
  timeout: 150_000,
}, async () => {
  const edge = await deployment.edge('region-1', TASK_ARGS);
  await deployment.devices('region-1', [edge.url], 0, TASK_ARGS, 2);
  await waitForHealth(edge.http, (h) => h.devices === 2, '2 devices on the edge');
  const run = deployment.startRun(scratch, ['--regions', 'region-1', '--rounds', '1', '--kappa1', '5', ...TASK_ARGS]);
  assert.equal(await run.exited, 0, 'a round gives the edge a model to render');

  // The honest viewer: a pose, and the next one (and a shown report) as each frame arrives.
  const honest = connect(`${edge.url}/view`, { transports: ['websocket'], auth: { token: TOKEN }, reconnection: false, forceNew: true });
  const honestErrors: unknown[] = [];
  honest.on(EV.error, (error: unknown) => honestErrors.push(error));
  const started = (await honest.emitWithAck(EV.start, { mode: 'co', width: 16, height: 16, fovXDegrees: 40 })) as { ok: boolean };
  assert.equal(started.ok, true);
  let frames = 0;
  let seq = 0;
  const camera = (z: number): number[][] => [
    [1, 0, 0, 0],
    [0, 1, 0, 0],
    [0, 0, 1, z],
    [0, 0, 0, 1],
  ];
  honest.on(EV.frame, (frame: ViewFrameMessage) => {
    frames++;
    honest.emit(EV.shown, { frame: frame.frame });
    honest.emit(EV.pose, { seq: ++seq, sampledAt: 0, cameraToWorld: camera(4 + (seq % 10) / 10) });
  });
  honest.emit(EV.pose, { seq: ++seq, sampledAt: 0, cameraToWorld: camera(4) });

  const hostile = new DaemonProcess('hostile viewer', join(import.meta.dirname, 'view-session-hostile-viewer.js'), [edge.url, TOKEN]);
  deployment.processes.push(hostile);
  await hostile.waitForMessage('connected');
  const framesBefore = frames;
  await hostile.waitForMessage('done', 90_000);
  assert.equal(await hostile.exited, 0, 'the hostile viewer ran every attack');
  const framesDuring = frames - framesBefore;
  process.stderr.write(`honest frames while the hostile viewer attacked: ${framesDuring}\n`);
  for (const line of hostile.lines.filter((l) => l.msg === 'refused')) process.stderr.write(`${line.attack}: ${line.message}\n`);

  const accepted = hostile.lines.filter((line) => line.msg === 'accepted').map((line) => line.attack);
  assert.deepEqual(accepted, [], 'no bad message is accepted');
  const refused = new Map(
    hostile.lines.filter((line) => line.msg === 'refused').map((line) => [line.attack as string, String(line.message)]),
  );
  for (const [attack, expected] of Object.entries(REFUSALS)) {
    assert.ok(refused.has(attack), `${attack} is refused`);
    assert.match(refused.get(attack)!, expected, attack);
  }
  assert.equal(refused.size, Object.keys(REFUSALS).length);
  assert.equal(hostile.lines.find((line) => line.msg === 'flood refused')?.errors, 2000, 'every pose of the malformed flood is refused');

  // The honest viewer was served throughout, and still is.
  assert.ok(framesDuring > 0, 'frames reached the honest viewer while the hostile one attacked');
  const afterwards = frames;
  await new Promise<void>((resolve) => {
    const check = (): void => void (frames >= afterwards + 3 ? resolve() : setTimeout(check, 20));
    check();
  });
  honest.close();
  assert.deepEqual(honestErrors, [], 'the honest viewer got no error');

  const samples = await scrape(edge.http);
  const refusedStarts = metric(samples, 'strata_edge_view_refusals_total', { message: 'start' });
  const refusedPoses = metric(samples, 'strata_edge_view_refusals_total', { message: 'pose' });
  assert.equal(
    refusedStarts + refusedPoses,
    Object.keys(REFUSALS).length - 1 + 2000,
    'every refused start and pose is counted (the flood too)',
  );
  assert.equal(metric(samples, 'strata_edge_view_refusals_total', { message: 'shown' }), 1);
  assert.equal(metric(samples, 'strata_edge_view_refusals_total', { message: 'render' }), 0);
  assert.ok(metric(samples, 'strata_edge_view_frames_total') >= frames, 'the frames sent are counted');
});
