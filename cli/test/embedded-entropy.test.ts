// The links' entropy stage end to end on ml-100k in the embedded runtime: brotli on every frame trains the same
// model bit for bit as no entropy stage, with the same metrics, in fewer bytes; and the run's byte counters
// count what the links carried (the compressed frames), as the in-process transport counts them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRunConfig, type EntropyCoding, type ModelParams } from '@strata/shared';
import { createLogger, registerNodeEntropyCodecs } from '@strata/runtime';
import { BprMfTask, loadInteractions, ml100kSource } from '@strata/tasks';
import { EmbeddedTopology, embeddedTopologyOptions } from '../src/embedded/embedded-topology.js';

registerNodeEntropyCodecs();
const logger = createLogger('test', 'silent');
const data = loadInteractions(ml100kSource());
const DEVICES = 40;
const ROUNDS = 2;

function bits(model: ModelParams): number[] {
  return [...model.values()].flatMap((t) => [...new Uint32Array(t.values.buffer, t.values.byteOffset, t.values.length)]);
}

async function run(entropy: EntropyCoding) {
  const config = parseRunConfig({
    topology: { edges: 2, devices: DEVICES },
    seed: 5,
    compression: { dtype: 'int8', entropy },
    downlink: { entropy },
  });
  const task = BprMfTask.fromInteractions(data, { seed: 5 });
  const topology = new EmbeddedTopology(embeddedTopologyOptions(config, task, logger));
  await topology.start();
  try {
    const counted = { deviceEdgeDown: 0, deviceEdgeUp: 0, edgeCloudDown: 0, edgeCloudUp: 0 };
    const metrics = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const outcomes = [await topology.runRound(round), await topology.evaluate(round)];
      for (const { bytes } of outcomes) for (const key of Object.keys(counted) as (keyof typeof counted)[]) counted[key] += bytes[key];
      metrics.push(outcomes[1].metrics);
    }
    return { model: bits(topology.coordinator.globalModel), metrics, counted, link: topology.linkStats() };
  } finally {
    await topology.stop();
  }
}

test('brotli on every link trains the same model in fewer bytes, and the counters count the bytes sent', async () => {
  const plain = await run('none');
  const brotli = await run('brotli');
  assert.deepEqual(brotli.model, plain.model, 'the global model after the rounds, bit for bit');
  assert.deepEqual(brotli.metrics, plain.metrics, 'every evaluation');
  for (const [name, r] of Object.entries({ plain, brotli })) {
    assert.equal(r.counted.deviceEdgeDown, r.link.bytesDown, `${name}: edge→device as the transport carried it`);
    assert.equal(r.counted.deviceEdgeUp, r.link.bytesUp, `${name}: device→edge as the transport carried it`);
  }
  for (const key of ['deviceEdgeDown', 'deviceEdgeUp', 'edgeCloudDown', 'edgeCloudUp'] as const) {
    assert.ok(brotli.counted[key] < plain.counted[key], `${key}: ${brotli.counted[key]} < ${plain.counted[key]} bytes`);
  }
  process.stderr.write(`bytes none ${JSON.stringify(plain.counted)}\nbytes brotli ${JSON.stringify(brotli.counted)}\n`);
});
