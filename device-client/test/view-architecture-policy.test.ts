import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ViewArchitecturePolicy, chooseViewArchitecture, type ArchitectureMeasurement } from '../src/index.js';

const m = (
  architecture: ArchitectureMeasurement['architecture'],
  fps: number,
  p95LatencyMs: number,
  meanPsnr: number,
): ArchitectureMeasurement => ({
  architecture,
  fps,
  p95LatencyMs,
  meanPsnr,
});

test('among architectures that keep up, the policy picks the highest displayed PSNR', () => {
  const choice = chooseViewArchitecture([m('local', 12, 80, 30), m('remote', 29, 45, 33), m('co', 30, 20, 31)], 30);
  assert.equal(choice.architecture, 'remote');
  assert.match(choice.reason, /highest displayed PSNR \(33\.00 dB\) of remote, co/);
});

test('an architecture past the latency bound is not chosen, however sharp its frames', () => {
  assert.equal(chooseViewArchitecture([m('remote', 30, 180, 38), m('co', 30, 25, 31)], 30).architecture, 'co');
});

test('when none keeps up the policy takes the highest frame rate', () => {
  const choice = chooseViewArchitecture([m('local', 2, 900, 10), m('remote', 1, 2000, 12), m('co', 6, 300, 16)], 30);
  assert.equal(choice.architecture, 'co');
  assert.match(choice.reason, /none keeps up/);
});

test('the policy switches when the link changes what keeps up, and records each switch', () => {
  const policy = new ViewArchitecturePolicy(30);
  assert.equal(
    policy.linkChanged('1gbit-5ms', [m('local', 10, 100, 35), m('remote', 30, 30, 36), m('co', 30, 15, 33)]).architecture,
    'remote',
  );
  assert.equal(policy.linkChanged('wifi', [m('local', 10, 100, 35), m('remote', 30, 40, 35), m('co', 30, 15, 33)]).architecture, 'remote');
  assert.equal(
    policy.linkChanged('20mbit-40ms', [m('local', 10, 100, 35), m('remote', 14, 160, 24), m('co', 30, 15, 29)]).architecture,
    'co',
  );
  assert.deepEqual(
    policy.switches.map((s) => [s.from, s.to, s.link]),
    [
      [null, 'remote', '1gbit-5ms'],
      ['remote', 'co', '20mbit-40ms'],
    ],
  );
});

test('nothing measured is an error, not a silent default', () => {
  assert.throws(() => chooseViewArchitecture([], 30), /nothing measured/);
});
