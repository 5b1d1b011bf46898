import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StrataError } from '@strata/shared';
import { InProcessNetwork } from '../src/index.js';
import { describeTransportContract } from '../src/testing/index.js';

let next = 0;
describeTransportContract('in-process', async () => {
  const network = new InProcessNetwork();
  return { client: network, listen: async () => network.listen(`edge-${++next}`), unreachableAddress: 'nowhere' };
});

test('an in-process address can be listened on once at a time', async () => {
  const network = new InProcessNetwork();
  const server = network.listen('edge-a');
  assert.throws(
    () => network.listen('edge-a'),
    (error: unknown) => error instanceof StrataError && /edge-a is in use/.test(error.message),
  );
  await server.close();
  await network.listen('edge-a').close();
});
