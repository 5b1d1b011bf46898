// What the edges read of each model version. The coordinator keeps a replica of the model its edges hold (a
// ModelDownlink with the run's downlink settings, as each edge keeps one of what its devices hold) and
// writes beside each version's model blob the patch from the previous version's replica (a ModelPatch blob
// with base and target checksums) and, when the downlink is lossy, the replica's whole model. Patches are in the
// run's dtype with every changed row (the run's row cap and energy share are the device links'). A job names
// both: an edge holding the base applies the patch (readEdgeModel), any other reads the whole model. With a
// float32 downlink the replica is the global model bit for bit, so the global model's blob is the whole model
// edges read, and a patch is written only when it is smaller than that model.

import {
  ModelDownlink,
  StrataError,
  compressFrame,
  decodeModelBlob,
  decodeModelPatchBlob,
  edgeModelBlobKey,
  encodeEnvelope,
  encodeModelPatchBlob,
  isLosslessDownlink,
  modelBlobKey,
  modelPatchBlobKey,
  parameterCount,
  type BlobStore,
  type Downlink,
  type EdgeRoundJob,
  type Logger,
  type ModelParams,
} from '@strata/shared';

/** The replica's ModelDownlink key of `version`: one model per version. */
const replicaKey = (version: number): string => `v${version}`;

export class EdgeModelPublisher {
  private readonly downlink: ModelDownlink;
  /** The replica is the global model itself (a lossless downlink). */
  private readonly lossless: boolean;
  /** After a resume: the patch to the version resumed at, still in the store, which jobs name as before the restart. */
  private resumedPatch: { readonly version: number; readonly baseChecksum: number; readonly checksum: number } | undefined;

  constructor(
    private readonly settings: Downlink,
    private readonly blobs: BlobStore,
    private readonly logger: Logger,
  ) {
    // The run's dtype, every changed row: a row cap bounds what each device is sent, but a row held back here
    // holds back every device of the edge for a whole cloud round, on top of the edge's own cap.
    const everyRow = { ...settings, rowFraction: 1, energy: 1 };
    this.downlink = new ModelDownlink(everyRow);
    this.lossless = isLosslessDownlink(everyRow);
  }

  /**
   * Makes the global model of `version` what edges are brought to next (the patch from the replica before,
   * or the first replica) and stores its blobs. Later changes to `global` are not seen.
   */
  async publish(global: ModelParams, version: number): Promise<void> {
    this.downlink.advance(global, version, replicaKey(version));
    await this.write(version);
  }

  /** Whether the blobs of `version` (the version now) are all in the store: false after Redis lost them. */
  async published(version: number): Promise<boolean> {
    const { modelKey, modelPatch } = this.jobModel(version);
    return (await this.blobs.has(modelKey)) && (!modelPatch || (await this.blobs.has(modelPatch.key)));
  }

  /**
   * Stores the blobs of the version now again (the replica's whole model when lossy, its patch while the
   * history keeps it); the global model's own blob is the caller's.
   */
  async write(version: number): Promise<void> {
    const current = this.current(version);
    if (this.resumedPatch?.version === version && !(await this.blobs.has(modelPatchBlobKey(version)))) this.resumedPatch = undefined;
    const { entropy } = this.settings;
    if (!this.lossless) {
      await this.blobs.put(edgeModelBlobKey(version), compressFrame(encodeEnvelope({ model: this.downlink.wholeModel() }), entropy));
    }
    const patch = this.patch(version);
    if (patch) await this.blobs.put(modelPatchBlobKey(version), encodeModelPatchBlob(patch.message, entropy));
    this.logger.debug({ version, checksum: current.checksum, patchBytes: patch?.bytes ?? 0 }, 'edge model published');
  }

  /**
   * A resumed coordinator's replica: the model edges held at `version`, read back from its blob (lossless:
   * the global model). Without that blob the replica starts again from `global` (edges then read the whole
   * model once), and its blob is written at the next ensure.
   */
  async resume(global: ModelParams, version: number): Promise<void> {
    const blob = this.lossless ? undefined : await this.blobs.get(edgeModelBlobKey(version));
    const saved = blob && decodeModelBlob(blob);
    if (this.lossless || (saved && saved.version === version)) {
      this.downlink.hold(saved ? saved.model : global, version, replicaKey(version));
      await this.resumePatch(version);
      return;
    }
    this.logger.warn(
      { version, key: edgeModelBlobKey(version) },
      "the edges' model blob is missing: its replica starts again from the global model",
    );
    this.downlink.advance(global, version, replicaKey(version));
  }

  /** Names in jobs the patch blob to `version` its predecessor wrote, when it brings edges to the replica resumed. */
  private async resumePatch(version: number): Promise<void> {
    const blob = await this.blobs.get(modelPatchBlobKey(version));
    if (!blob) return;
    try {
      const patch = decodeModelPatchBlob(blob);
      if (patch.target.version !== version || patch.target.checksum !== this.downlink.current()?.checksum) return;
      this.resumedPatch = { version, baseChecksum: patch.base.checksum, checksum: patch.target.checksum };
    } catch (error) {
      if (!(error instanceof StrataError)) throw error;
      this.logger.warn(
        { version, error: error.message },
        'the patch blob of the version resumed at does not decode: edges read the whole model',
      );
    }
  }

  /**
   * What a job on `version` names: the whole model edges hold at that version, and the patch to it from the
   * version before while the history keeps it and it is smaller than the whole model.
   */
  jobModel(version: number): Pick<EdgeRoundJob, 'modelKey' | 'modelPatch'> {
    const modelKey = this.lossless ? modelBlobKey(version) : edgeModelBlobKey(version);
    const patch = this.patch(version);
    const resumed = this.resumedPatch;
    if (!patch && resumed?.version === version) {
      return { modelKey, modelPatch: { key: modelPatchBlobKey(version), baseChecksum: resumed.baseChecksum, checksum: resumed.checksum } };
    }
    if (!patch) return { modelKey };
    const baseChecksum = patch.message.baseChecksum ?? 0;
    const checksum = patch.message.checksum ?? 0;
    return { modelKey, modelPatch: { key: modelPatchBlobKey(version), baseChecksum, checksum } };
  }

  /** Deletes the edge blobs of `version` (with its model blob, whose deletion is the caller's). */
  async release(version: number): Promise<void> {
    await this.blobs.delete(modelPatchBlobKey(version));
    if (!this.lossless) await this.blobs.delete(edgeModelBlobKey(version));
  }

  /** The patch to `version` worth sending: one that is smaller than the whole model (a lossless patch of a dense model that all moved is not). */
  private patch(version: number): ReturnType<ModelDownlink['patchTo']> {
    const patch = this.downlink.patchTo(version);
    const current = this.downlink.current();
    if (!patch || !current || patch.bytes >= 4 * parameterCount(current.model)) return undefined;
    return patch;
  }

  private current(version: number): NonNullable<ReturnType<ModelDownlink['current']>> {
    const current = this.downlink.current();
    if (current?.version !== version) {
      throw new StrataError(
        'STRATA_ERR_STATE',
        `edge model publisher: asked to write version ${version}, its replica is at ${current?.version}`,
      );
    }
    return current;
  }
}
