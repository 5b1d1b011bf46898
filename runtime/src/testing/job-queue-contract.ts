// The behaviour every JobQueue implementation must have (in-memory and BullMQ run the same tests).

import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, type JobData, type JobQueue } from '@strata/shared';

export function describeJobQueueContract(name: string, create: () => Promise<JobQueue>): void {
  describe(`JobQueue contract: ${name}`, () => {
    const queues: JobQueue[] = [];
    const make = async (): Promise<JobQueue> => {
      const q = await create();
      queues.push(q);
      return q;
    };
    after(async () => {
      for (const q of queues) await q.close();
    });
    const unique = (label: string): string => `${label}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

    test('a flow resolves with every child result once all children complete', async () => {
      const q = await make();
      const [a, b, parent] = [unique('region-a'), unique('region-b'), unique('cloud')];
      q.process(a, async (job) => ({ doubled: (job.data.x as number) * 2 }));
      q.process(b, async (job) => ({ doubled: (job.data.x as number) * 2 }));
      const id = await q.addFlow({ queue: parent, name: 'cloud-round', data: { round: 1 } }, [
        { queue: a, name: 'edge-round', data: { x: 1 } },
        { queue: b, name: 'edge-round', data: { x: 5 } },
      ]);
      const outcomes = await q.waitForFlow(id, Date.now() + 10_000);
      const results = outcomes.map((o) => [o.queue, o.state, o.result?.doubled]).sort();
      assert.deepEqual(
        results,
        [
          [a, 'completed', 2],
          [b, 'completed', 10],
        ].sort(),
      );
    });

    test('a failing child is retried with backoff and its later success counts', async () => {
      const q = await make();
      const [region, parent] = [unique('region'), unique('cloud')];
      const attempts: number[] = [];
      q.process(region, async (job) => {
        attempts.push(job.attempt);
        if (job.attempt < 2) throw new Error('edge crashed');
        return { ok: true };
      });
      const id = await q.addFlow({ queue: parent, name: 'cloud-round', data: {} }, [
        { queue: region, name: 'edge-round', data: {}, attempts: 3, backoffMs: 20 },
      ]);
      const [outcome] = await q.waitForFlow(id, Date.now() + 10_000);
      assert.equal(outcome.state, 'completed');
      assert.deepEqual(attempts, [1, 2]);
    });

    test('a child that exhausts its attempts fails without blocking the flow', async () => {
      const q = await make();
      const [good, bad, parent] = [unique('good'), unique('bad'), unique('cloud')];
      q.process(good, async () => ({ ok: true }));
      q.process(bad, async () => {
        throw new Error('always broken');
      });
      const id = await q.addFlow({ queue: parent, name: 'cloud-round', data: {} }, [
        { queue: good, name: 'edge-round', data: {} },
        { queue: bad, name: 'edge-round', data: {}, attempts: 2, backoffMs: 10 },
      ]);
      const outcomes = await q.waitForFlow(id, Date.now() + 10_000);
      const byQueue = new Map(outcomes.map((o) => [o.queue, o]));
      assert.equal(byQueue.get(good)?.state, 'completed');
      assert.equal(byQueue.get(bad)?.state, 'failed');
      assert.match(byQueue.get(bad)?.error ?? '', /always broken/);
    });

    test('at the deadline the flow resolves with what completed and the rest pending', async () => {
      const q = await make();
      const [fast, idle, parent] = [unique('fast'), unique('idle'), unique('cloud')];
      q.process(fast, async () => ({ ok: true }));
      const id = await q.addFlow({ queue: parent, name: 'cloud-round', data: {} }, [
        { queue: fast, name: 'edge-round', data: {} },
        { queue: idle, name: 'edge-round', data: {} },
      ]);
      const outcomes = await q.waitForFlow(id, Date.now() + 500);
      const states = outcomes.map((o) => [o.queue === fast ? 'fast' : 'idle', o.state]).sort();
      assert.deepEqual(states, [
        ['fast', 'completed'],
        ['idle', 'pending'],
      ]);
    });

    test('a job added before any worker exists is processed once a worker starts', async () => {
      const q = await make();
      const [region, parent] = [unique('late'), unique('cloud')];
      const id = await q.addFlow({ queue: parent, name: 'cloud-round', data: {} }, [{ queue: region, name: 'edge-round', data: { v: 7 } }]);
      q.process(region, async (job) => ({ v: job.data.v }));
      const [outcome] = await q.waitForFlow(id, Date.now() + 10_000);
      assert.equal(outcome.result?.v, 7);
    });

    test('a flow added again under its ids adds nothing: its children run once and the same id comes back', async () => {
      const q = await make();
      const [region, parent] = [unique('region'), unique('cloud')];
      const flowId = unique('r1-v0');
      const add = (): Promise<string> =>
        q.addFlow({ queue: parent, name: 'cloud-round', data: {}, id: flowId }, [
          { queue: region, name: 'edge-round', data: { x: 3 }, id: `${flowId}-0` },
        ]);
      const id = await add();
      assert.equal(await add(), id);
      const runs: number[] = [];
      q.process(region, async (job) => {
        runs.push(job.data.x as number);
        return { ok: true };
      });
      const [outcome] = await q.waitForFlow(id, Date.now() + 10_000);
      assert.equal(outcome.state, 'completed');
      assert.equal(await add(), id, 'a flow that completed is not added again either');
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.deepEqual(runs, [3]);
      for (const bad of ['has:colon', '42', 'with space', '']) {
        await assert.rejects(q.addFlow({ queue: parent, name: 'cloud-round', data: {}, id: bad }, []), ConfigError, `id '${bad}'`);
      }
    });

    test('job data and results that JSON would change are refused: tensors go to the blob store', async () => {
      const q = await make();
      const [region, parent] = [unique('strict'), unique('cloud')];
      for (const data of [{ weights: new Float32Array(2) }, { at: new Date(0) }, { loss: Number.NaN }, { big: 'x'.repeat(70_000) }]) {
        await assert.rejects(
          q.addFlow({ queue: parent, name: 'cloud-round', data: {} }, [{ queue: region, name: 'edge-round', data }]),
          ConfigError,
        );
      }
      q.process(region, async () => ({ update: new Float32Array(1) }) as unknown as JobData);
      const id = await q.addFlow({ queue: parent, name: 'cloud-round', data: {} }, [
        { queue: region, name: 'edge-round', data: {}, attempts: 1 },
      ]);
      const [outcome] = await q.waitForFlow(id, Date.now() + 10_000);
      assert.equal(outcome.state, 'failed');
      assert.match(outcome.error ?? '', /does not survive JSON unchanged/);
    });
  });
}
