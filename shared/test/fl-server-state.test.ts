// A saved server state (encodeServerState's layout) restores exactly what was kept, and anything else is
// refused by name: another owner or layout, a flipped bit, a cut or grown blob, an unknown or wrong-sized
// entry, a non-finite value. A stateful strategy (FedAdam, FedAvgM) restored from its saved state steps on
// exactly as the one that saved it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  FedAdam,
  FedAvg,
  FedAvgM,
  FedYogi,
  ServerStateError,
  decodeServerState,
  dense,
  encodeServerState,
  type ModelParams,
  type ServerStateExpectation,
  type Strategy,
} from '../src/index.js';
import { update, vec } from './aggregation-fixtures.js';

const owner = 'test/owner ü';
const entries = new Map([
  ['a', Float32Array.of(1.5, -2, 3e-30)],
  ['b.moments', new Float32Array(5).fill(0.25)],
  ['é', Float32Array.of(7)],
]);
const lengths: Record<string, number> = { a: 3, 'b.moments': 5, é: 1, other: 2 };
const expectation: ServerStateExpectation = { owner, layout: 3, lengthOf: (name) => lengths[name] };

const refused = (pattern: RegExp) => (error: unknown) => error instanceof ServerStateError && pattern.test(error.message);

test('a saved server state decodes to the same entries, bit for bit', () => {
  const bytes = encodeServerState(owner, 3, entries);
  assert.equal(bytes.byteLength % 4, 0);
  const decoded = decodeServerState(bytes, 'the test state', { ...expectation, required: ['a', 'é'] });
  assert.deepEqual([...decoded.keys()], ['a', 'b.moments', 'é']);
  for (const [name, values] of entries) assert.deepEqual(decoded.get(name), values, name);
  // Copies: changing the bytes afterwards changes nothing decoded.
  bytes.fill(0);
  assert.equal(decoded.get('a')?.[0], 1.5);
  // An unaligned copy of the bytes decodes the same.
  const shifted = new Uint8Array(bytes.byteLength + 1).subarray(1);
  shifted.set(encodeServerState(owner, 3, entries));
  assert.deepEqual(decodeServerState(shifted, 'the test state', expectation).get('b.moments'), entries.get('b.moments'));
});

test('a wrong, corrupt or cut state is refused with what is wrong and whose state it is', () => {
  const good = encodeServerState(owner, 3, entries);
  const decode =
    (bytes: Uint8Array, expect = expectation) =>
    () =>
      decodeServerState(bytes, 'the test state', expect);
  const flipped = good.slice();
  flipped[60] ^= 0x01;
  assert.throws(decode(flipped), refused(/^the test state: checksum mismatch: the state is corrupt or truncated$/));
  assert.throws(decode(good.subarray(0, good.length - 4)), refused(/checksum mismatch/));
  assert.throws(decode(good.subarray(0, good.length - 3)), refused(/is not a saved server state \(a whole number of words/));
  assert.throws(decode(new Uint8Array(40)), refused(/not a saved server state \(wrong magic number\)/));
  assert.throws(decode(good, { ...expectation, owner: 'fedadam' }), refused(/it is the state of test\/owner ü, not of fedadam/));
  assert.throws(decode(good, { ...expectation, layout: 4 }), refused(/layout 3 of test\/owner ü, this build reads layout 4/));
  assert.throws(
    decode(good, { ...expectation, lengthOf: (n) => (n === 'a' ? 4 : lengths[n]) }),
    refused(/entry a holds 3 values where 4 are expected/),
  );
  assert.throws(
    decode(good, { ...expectation, lengthOf: (n) => (n === 'é' ? undefined : lengths[n]) }),
    refused(/test\/owner ü keeps no entry é/),
  );
  assert.throws(decode(good, { ...expectation, required: ['other'] }), refused(/entry other is missing/));
  const nan = encodeServerState(owner, 3, new Map([['a', Float32Array.of(0, Number.NaN, 0)]]));
  assert.throws(decode(nan), refused(/entry a holds NaN at 1/));
});

/** Rounds `from`..`to` of `strategy` on a 3-value tensor, each with one update whose delta is a fixed function of the round. */
function step(strategy: Strategy, model: ModelParams, from: number, to: number): void {
  for (let r = from; r <= to; r++) {
    const w = vec([Math.sin(r), Math.cos(2 * r), 0.1 * r]);
    strategy.apply(model, strategy.aggregate([update(1, { w })]));
  }
}

const freshModel = (): ModelParams => new Map([['w', dense([3])]]);

for (const make of [() => new FedAdam(), () => new FedYogi(), () => new FedAvgM()]) {
  const name = make().name;
  test(`${name}: restored from its saved state after round 3, round 4-6 give the uninterrupted model bit for bit`, () => {
    const uninterrupted = make();
    const reference = freshModel();
    step(uninterrupted, reference, 1, 6);

    const first = make();
    const model = freshModel();
    step(first, model, 1, 3);
    const saved = first.serverState!();
    const resumed = make();
    resumed.restoreServerState!(saved, model);
    step(resumed, model, 4, 6);
    assert.deepEqual(model.get('w')?.values, reference.get('w')?.values);

    // Without the state, the moments restart from zero: a different model (what the saved state prevents).
    const forgetful = freshModel();
    step(make(), forgetful, 1, 3);
    step(make(), forgetful, 4, 6);
    assert.notDeepEqual(forgetful.get('w')?.values, reference.get('w')?.values);

    // A state saved for a model of other shapes, or by another strategy, is refused.
    const wider: ModelParams = new Map([['w', dense([4])]]);
    assert.throws(
      () => make().restoreServerState!(saved, wider),
      refused(new RegExp(`strategy ${name}: entry \\S+ holds 3 values where 4`)),
    );
    const other = name === 'fedadam' ? new FedYogi() : new FedAdam();
    assert.throws(() => other.restoreServerState!(saved, model), refused(new RegExp(`it is the state of ${name}, not of ${other.name}`)));
  });
}

test('a stateless strategy keeps no server state', () => {
  const fedavg: Strategy = new FedAvg();
  assert.equal(fedavg.serverState, undefined);
  assert.equal(fedavg.restoreServerState, undefined);
});
