// One shaped link: transfer time, first-come first-served sharing, independent directions, loss as
// retransmission delay or as lost messages.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '@strata/shared';
import { LinkPipe, MIN_RTO_MS, binomial, type LinkProfile } from '../src/link-pipe.js';

const profile = (p: Partial<LinkProfile> = {}): LinkProfile => ({ latencyMs: 20, jitterMs: 0, upMbps: 8, downMbps: 80, loss: 0, ...p });

test('a message takes bytes / bandwidth to send, then the latency to arrive', () => {
  const pipe = new LinkPipe(profile(), new SeededRandom(0));
  // 8 Mbit/s = 1000 bytes per ms up; 80 Mbit/s = 10,000 bytes per ms down.
  assert.equal(pipe.transmit(100, 50_000, 'up'), 100 + 50 + 20);
  assert.equal(pipe.transmit(100, 50_000, 'down'), 100 + 5 + 20);
});

test('messages in one direction queue behind each other; the other direction is independent', () => {
  const pipe = new LinkPipe(profile(), new SeededRandom(0));
  const first = pipe.transmit(0, 10_000, 'up');
  const second = pipe.transmit(0, 10_000, 'up');
  const third = pipe.transmit(100, 10_000, 'up');
  assert.deepEqual([first, second, third], [30, 40, 130]);
  assert.equal(pipe.transmit(0, 10_000, 'down'), 21);
});

test('jitter varies the latency around its mean, never below zero, the same for the same seed', () => {
  const draws = (seed: number): number[] => {
    const pipe = new LinkPipe(profile({ latencyMs: 5, jitterMs: 10 }), new SeededRandom(seed));
    return Array.from({ length: 2000 }, () => pipe.latencyMs());
  };
  const a = draws(1);
  assert.deepEqual(a, draws(1));
  assert.notDeepEqual(a, draws(2));
  assert.ok(a.every((x) => x >= 0));
  assert.ok(a.some((x) => x === 0) && a.some((x) => x > 25));
});

test('with retransmission, each lost packet costs one retransmission timeout', () => {
  const pipe = new LinkPipe(profile({ loss: 0.01 }), new SeededRandom(3));
  const rto = Math.max(MIN_RTO_MS, 2 * 20);
  let delayed = 0;
  let extra = 0;
  for (let k = 0; k < 2000; k++) {
    // 146,000 bytes = 100 packets: about one loss per message on average.
    const arrival = pipe.transmit(k * 1_000_000, 146_000, 'down')!;
    const lost = (arrival - (k * 1_000_000 + 14.6 + 20)) / rto;
    assert.ok(Math.abs(lost - Math.round(lost)) < 1e-6, `a delay of ${lost} timeouts is not a whole number`);
    if (lost > 0) delayed++;
    extra += lost;
  }
  assert.ok(Math.abs(extra / 2000 - 1) < 0.1, `mean lost packets ${extra / 2000}, expected about 1`);
  assert.ok(Math.abs(delayed / 2000 - (1 - 0.99 ** 100)) < 0.05);
});

test('in drop mode a message with a lost packet is lost, at the rate the packet loss implies', () => {
  const pipe = new LinkPipe(profile({ loss: 0.001 }), new SeededRandom(4));
  let lost = 0;
  for (let k = 0; k < 5000; k++) if (pipe.transmit(k * 1000, 146_000, 'down', 'drop') === undefined) lost++;
  const expected = 1 - 0.999 ** 100;
  assert.ok(Math.abs(lost / 5000 - expected) < 0.015, `lost ${lost / 5000}, expected about ${expected}`);
});

test('binomial draws have the binomial mean, by inversion and by the normal approximation', () => {
  const random = new SeededRandom(5);
  for (const [n, p] of [
    [50, 0.1],
    [10_000, 0.01],
  ] as const) {
    let sum = 0;
    for (let k = 0; k < 4000; k++) sum += binomial(n, p, random);
    assert.ok(Math.abs(sum / 4000 - n * p) < 0.05 * n * p + 0.1, `mean ${sum / 4000} for n=${n} p=${p}`);
  }
  assert.equal(binomial(10, 0, random), 0);
});
