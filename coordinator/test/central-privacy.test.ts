// Central DP-FedAvg at the coordinator: the noise has the calibrated standard deviation over the fixed
// denominator, ε follows the RDP accountant round by round, and a release past the target ε is refused.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CryptoRandom, RdpAccountant, privacySchema, type ModelUpdate } from '@strata/shared';
import { CentralPrivacy } from '../src/central-privacy.js';

const seeded = (byte: number): CryptoRandom => CryptoRandom.fromSeed(new Uint8Array(32).fill(byte));

function zeros(n: number): ModelUpdate {
  return { delta: new Map([['w', { kind: 'dense', shape: [n], values: new Float32Array(n) }]]), weight: 5, metrics: {} };
}

test('the released mean carries N(0, (σC / devices)²) on every coordinate', () => {
  const config = privacySchema.parse({ mode: 'central', clipNorm: 0.5, noiseMultiplier: 1.2 });
  const privacy = new CentralPrivacy(config, seeded(7));
  const n = 50_000;
  const devices = 4;
  const release = privacy.release([zeros(n), zeros(n)], devices, 0.1);
  assert.ok('combined' in release);
  const values = release.combined.delta.get('w')!.values;
  let sum = 0;
  let squares = 0;
  for (const v of values) {
    sum += v;
    squares += v * v;
  }
  const mean = sum / n;
  const std = Math.sqrt(squares / n - mean * mean);
  const expected = (1.2 * 0.5) / devices;
  // The sample std of 50,000 normals is within 1% of the true one with probability > 0.99 (its sd is σ/√(2n)).
  assert.ok(Math.abs(std / expected - 1) < 0.01, `noise std ${std}, expected ${expected}`);
  assert.ok(Math.abs(mean) < (4 * expected) / Math.sqrt(n), `noise mean ${mean}`);
});

test('the sum is divided by the devices selected, not by who answered', () => {
  const config = privacySchema.parse({ mode: 'central', clipNorm: 1, noiseMultiplier: 1e-9 });
  const one = (v: number): ModelUpdate => ({
    delta: new Map([['w', { kind: 'dense', shape: [2], values: new Float32Array([v, -v]) }]]),
    weight: 1,
    metrics: {},
  });
  const release = new CentralPrivacy(config, seeded(1)).release([one(0.5), one(0.25)], 10, 0.5);
  assert.ok('combined' in release);
  const values = release.combined.delta.get('w')!.values;
  assert.ok(Math.abs(values[0] - 0.075) < 1e-6 && Math.abs(values[1] + 0.075) < 1e-6, `mean ${values}`);
});

test("ε after each round is the accountant's for the rounds so far", () => {
  const config = privacySchema.parse({ mode: 'central', clipNorm: 1, noiseMultiplier: 1.1, delta: 1e-5 });
  const privacy = new CentralPrivacy(config, seeded(2));
  const rates = [0.1, 0.1, 0.05];
  const accountant = new RdpAccountant();
  for (const q of rates) {
    const release = privacy.release([zeros(4)], 3, q);
    assert.ok('combined' in release && release.privacy);
    accountant.composeSubsampledGaussian(q, 1.1);
    assert.equal(release.privacy.epsilon, accountant.epsilon(1e-5));
    assert.equal(release.privacy.samplingRate, q);
  }
  assert.equal(privacy.epsilon, accountant.epsilon(1e-5));
});

test('a release that would pass the target ε is refused and spends nothing', () => {
  const target = new RdpAccountant().composeSubsampledGaussian(0.2, 1, 3).epsilon(1e-5) + 1e-9;
  const config = privacySchema.parse({ mode: 'central', clipNorm: 1, noiseMultiplier: 1, targetEpsilon: target });
  const privacy = new CentralPrivacy(config, seeded(3));
  for (let i = 0; i < 3; i++) assert.ok('combined' in privacy.release([zeros(4)], 2, 0.2));
  const spent = privacy.epsilon;
  assert.match(privacy.stopBefore(0.2) ?? '', /privacy target/);
  const refused = privacy.release([zeros(4)], 2, 0.2);
  assert.ok('stop' in refused);
  assert.match(refused.stop, /stopping at the privacy target: ε [\d.]+ spent in 3 rounds/);
  assert.equal(privacy.epsilon, spent);
});
