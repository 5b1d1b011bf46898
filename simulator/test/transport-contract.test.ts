// The simulated network passes the contract every transport passes (timeouts, disconnects, error replies,
// replaced connections, byte counts), with its virtual clock running freely as the tests await.

import { after } from 'node:test';
import { SeededRandom } from '@strata/shared';
import { describeTransportContract } from '@strata/runtime/testing';
import { SimNetwork } from '../src/sim-network.js';
import { VirtualClock } from '../src/virtual-clock.js';

const clock = new VirtualClock();
const stop = clock.runFreely();
after(() => stop());

describeTransportContract('simulated network (virtual clock)', async () => {
  const network = new SimNetwork({ clock, random: new SeededRandom(0) });
  let next = 0;
  return {
    listen: async () => network.listen(`edge-${++next}`),
    client: network.endpoint({ tier: 'deviceEdge', up: [], down: [] }),
    unreachableAddress: 'nowhere-edge',
  };
});
