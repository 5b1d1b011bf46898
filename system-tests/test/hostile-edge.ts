// A misbehaving edge for the hostile-edge test, run as its own process on the deployment's Redis:
//   node hostile-edge.js <redis url> <redis prefix> <region>=<behaviour>[,<region>=<behaviour>...]
// It takes each region's jobs as an edge would and answers every training job with the update its behaviour
// (one of zero-row-forgeries.ts's EDGE_ZERO_ROW_FORGERIES) makes of the job's model, stored as the edge's
// update blob, in a result that says one device answered; an evaluation job gets an empty evaluation. It
// logs JSON lines on stderr ({"msg": "working"}, {"msg": "answered", region, behaviour}) so tests can wait.

import {
  EDGE_JOB_KINDS,
  decodeModelBlob,
  edgeRoundJobSchema,
  edgeUpdateBlobKey,
  emptyParticipation,
  parseJobPayload,
  redisLayout,
  regionQueue,
  type EdgeEvaluateResult,
  type EdgeRoundResult,
} from '@strata/shared';
import { BullMqJobQueue, RedisBlobStore, registerNodeEntropyCodecs } from '@strata/runtime';
import { EDGE_ZERO_ROW_FORGERIES, forgeZeroRows } from './zero-row-forgeries.js';

const [url, prefix, assignments] = process.argv.slice(2);
// It reads the coordinator's brotli model blobs as an edge daemon does.
registerNodeEntropyCodecs();
const log = (msg: string, extra: Record<string, unknown> = {}): void => void process.stderr.write(`${JSON.stringify({ msg, ...extra })}\n`);

const layout = redisLayout({ url, prefix });
const queue = new BullMqJobQueue({ url, prefix: layout.queuePrefix });
const blobs = new RedisBlobStore({ url, prefix: layout.blobPrefix });

for (const assignment of assignments.split(',')) {
  const [region, behaviour] = assignment.split('=');
  const forgery = EDGE_ZERO_ROW_FORGERIES[behaviour];
  if (!forgery) throw new Error(`unknown behaviour ${behaviour}`);
  queue.process(regionQueue(region), async (job) => {
    if (!(EDGE_JOB_KINDS as readonly string[]).includes(job.name)) throw new Error(`not an edge job: ${job.name}`);
    const data = parseJobPayload(edgeRoundJobSchema, job.data, `${job.name} job ${job.id}`);
    const participation = { ...emptyParticipation(), selected: 1, answered: 1 };
    if (job.name === 'edge-evaluate') return { count: 0, sums: {}, participation } satisfies EdgeEvaluateResult;
    const stored = await blobs.get(data.modelKey);
    if (!stored) throw new Error(`model blob ${data.modelKey} missing`);
    const { model } = decodeModelBlob(stored);
    const header = { roundId: data.roundId, baseVersion: data.version, sender: `edge-${region}` };
    const blobKey = edgeUpdateBlobKey(data.roundId, region);
    await blobs.put(blobKey, forgeZeroRows(forgery, model, header, data.limits), 3600);
    log('answered', { region, behaviour, roundId: data.roundId });
    return { blobKey, weight: 1, metrics: {}, participation } satisfies EdgeRoundResult;
  });
}
log('working');
