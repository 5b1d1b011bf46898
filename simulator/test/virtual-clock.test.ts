// The virtual clock: event order, waiting for real work (and applying its outcomes in start order, whatever
// order it finished in), stall detection, and the runtime's own timers (quorum, flow deadline) on it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gatherQuorum } from '@strata/shared';
import { InMemoryJobQueue } from '@strata/runtime';
import { SimulationStalledError, VirtualClock } from '../src/virtual-clock.js';

const realDelay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

test('timers fire in time order, ties in the order they were set, and a cleared timer never fires', async () => {
  const clock = new VirtualClock(1000);
  const fired: string[] = [];
  clock.setTimeout(() => fired.push(`b@${clock.now()}`), 50);
  clock.setTimeout(() => fired.push(`a@${clock.now()}`), 10);
  clock.setTimeout(() => fired.push(`c@${clock.now()}`), 50);
  const cleared = clock.setTimeout(() => fired.push('never'), 20);
  clock.clearTimeout(cleared);
  clock.setTimeout(() => fired.push(`nan@${clock.now()}`), Number.NaN);
  await clock.advanceTo(2000);
  assert.deepEqual(fired, ['nan@1000', 'a@1010', 'b@1050', 'c@1050']);
  assert.equal(clock.now(), 2000);
  assert.equal(clock.pendingEvents, 0);
});

test('time does not move while real work runs, and outcomes apply in start order at the start time', async () => {
  const clock = new VirtualClock();
  const applied: string[] = [];
  clock.setTimeout(() => {
    // The first work finishes last in real time; its outcome still applies first.
    clock.runReal(
      async () => {
        await realDelay(30);
        return 'slow';
      },
      (outcome) => applied.push(`${outcome.ok ? outcome.value : 'error'}@${clock.now()}`),
    );
    clock.runReal(
      async () => 'fast',
      (outcome) => applied.push(`${outcome.ok ? outcome.value : 'error'}@${clock.now()}`),
    );
    clock.runReal(
      () => {
        throw new Error('synchronous failure');
      },
      (outcome) => applied.push(`${outcome.ok ? 'ok' : (outcome.error as Error).message}@${clock.now()}`),
    );
  }, 100);
  const later = new Promise<number>((resolve) => clock.setTimeout(() => resolve(clock.now()), 101));
  assert.equal(await clock.run(later), 101);
  assert.deepEqual(applied, ['slow@100', 'fast@100', 'synchronous failure@100']);
});

test('awaited work that can never finish fails with SimulationStalledError, and so does passing the limit', async () => {
  const clock = new VirtualClock();
  await assert.rejects(clock.run(new Promise(() => {})), SimulationStalledError);
  const ticking = (): void => void clock.setTimeout(ticking, 1000);
  ticking();
  await assert.rejects(clock.run(new Promise(() => {}), { limitMs: 60_000 }), /limit of 60 simulated seconds/);
  assert.ok(clock.now() <= 60_000);
});

test("the runtime's quorum deadline and flow deadline run on the virtual clock", async () => {
  const clock = new VirtualClock();
  const never = new Promise<number>(() => {});
  const soon = new Promise<number>((resolve) => clock.setTimeout(() => resolve(7), 5_000));
  const gathered = await clock.run(gatherQuorum([soon, never], 2, 3_600_000, clock));
  assert.deepEqual(gathered.answers, [{ index: 0, value: 7 }]);
  assert.equal(gathered.late, 1);
  assert.equal(clock.now(), 3_600_000, 'the quorum closed at its one-hour deadline, in simulated time');

  const queue = new InMemoryJobQueue(clock);
  const parent = await queue.addFlow({ queue: 'cloud', name: 'round', data: {} }, [{ queue: 'nobody', name: 'edge', data: {} }]);
  const outcomes = await clock.run(queue.waitForFlow(parent, clock.now() + 900_000));
  assert.equal(outcomes[0].state, 'pending');
  assert.equal(clock.now(), 4_500_000);
  await queue.close();
});
