import { InMemoryJobQueue } from '../src/index.js';
import { describeJobQueueContract } from '../src/testing/index.js';

describeJobQueueContract('in-memory', async () => new InMemoryJobQueue());
