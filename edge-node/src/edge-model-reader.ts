// How an edge reads the model a job names (the cloud -> edge link): the model it holds from its last job,
// brought to the job's by the coordinator's patch blob when it holds the patch's base (same checksum), else
// the whole model blob. A patched model whose checksum is not the patch's target (a cache gone wrong, a
// patch blob that does not decode) is dropped for the whole model, so an edge never trains on a corrupt one.
// The patch is applied with the function devices use (applyPatchTensors) on a copy: jobs and renders share
// the model held.

import {
  StrataError,
  WireFormatError,
  applyPatchTensors,
  cloneModel,
  decodeModelBlob,
  decodeModelPatchBlob,
  modelChecksum,
  parameterCount,
  type BlobStore,
  type EdgeRoundJob,
  type Logger,
  type ModelParams,
} from '@strata/shared';

/** A model the edge holds: its key, version, checksum, and the size of its whole float32 blob (what bounds replies). */
export interface HeldEdgeModel {
  /** Read-only: jobs and renders share it. */
  readonly model: ModelParams;
  readonly version: number;
  readonly key: string;
  readonly checksum: number;
  /** The model's size as a float32 blob, at least: what bounds an update to it (a compressed blob is smaller). */
  readonly modelBytes: number;
}

/** The model a job names, and the edge-cloud bytes read to get it (0 when the edge held it). */
export interface ReadEdgeModel {
  readonly held: HeldEdgeModel;
  readonly fetchedBytes: number;
}

export async function readEdgeModel(
  blobs: BlobStore,
  job: Pick<EdgeRoundJob, 'modelKey' | 'modelPatch'>,
  held: HeldEdgeModel | undefined,
  logger: Logger,
): Promise<ReadEdgeModel> {
  if (held?.key === job.modelKey) return { held, fetchedBytes: 0 };
  let fetchedBytes = 0;
  const patch = job.modelPatch;
  if (patch && held?.checksum === patch.baseChecksum) {
    const blob = await blobs.get(patch.key);
    fetchedBytes += blob?.byteLength ?? 0;
    const patched = blob && applyPatchBlob(blob, held, job.modelKey, patch.checksum, logger);
    if (patched) return { held: patched, fetchedBytes };
    if (!blob) logger.warn({ key: patch.key }, 'model patch blob missing: reading the whole model');
  }
  const blob = await blobs.get(job.modelKey);
  if (!blob) throw new StrataError('STRATA_ERR_MISSING_BLOB', `model blob ${job.modelKey} not found`);
  const { model, version } = decodeModelBlob(blob);
  const checksum = modelChecksum(model);
  if (patch && checksum !== patch.checksum) {
    throw new StrataError('STRATA_ERR_BAD_BLOB', `model blob ${job.modelKey} does not match the checksum its job names`);
  }
  const modelBytes = Math.max(blob.byteLength, 4 * parameterCount(model));
  return { held: { model, version, key: job.modelKey, checksum, modelBytes }, fetchedBytes: fetchedBytes + blob.byteLength };
}

/** `held` with the patch in `blob` applied (a copy), or undefined when the result is not the model of `checksum`. */
function applyPatchBlob(blob: Uint8Array, held: HeldEdgeModel, key: string, checksum: number, logger: Logger): HeldEdgeModel | undefined {
  try {
    const patch = decodeModelPatchBlob(blob);
    if (patch.base.checksum !== held.checksum || patch.target.checksum !== checksum) {
      throw new WireFormatError(`patch from ${patch.base.checksum} to ${patch.target.checksum}, not the job's`);
    }
    const model = cloneModel(held.model);
    applyPatchTensors(model, patch.tensors, patch.additive);
    const patched = modelChecksum(model);
    if (patched !== checksum) throw new WireFormatError(`the patched model's checksum ${patched} is not the patch's ${checksum}`);
    return { model, version: patch.target.version, key, checksum, modelBytes: held.modelBytes };
  } catch (error) {
    if (!(error instanceof StrataError)) throw error;
    logger.warn({ key, error: error.message }, "model patch does not bring the model held to the job's: reading the whole model");
    return undefined;
  }
}
