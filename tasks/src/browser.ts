// What a browser device needs of the tasks (`@strata/tasks/browser`): devices built from their own data (BPR-MF
// and NeuMF user splits, the voxel grid's views; hand-written kernels, the grid trained inline), and the radiance
// viewer's side of a viewing session (reading the compact model, a voxel grid's or Gaussians', rendering it, warping the edge's frames), with no
// loader, file system or worker thread in their import graph, so the page and its Web Worker bundle them as they are.
export * from './recsys/device-data/index.js';
export { BprMfDevice, ITEM_EMBEDDING, ITEM_BIAS } from './recsys/bpr-mf/bpr-mf-device.js';
export { NeuMFDevice } from './recsys/neumf/neumf-device.js';
export {
  radianceDeviceDataSchema,
  radianceDeviceFromData,
  type RadianceDataDevice,
  type RadianceDeviceData,
} from './radiance/federated/radiance-device-data.js';
export { deviceFromData, DATA_DEVICE_TASKS, type DataDevice } from './device-from-data.js';
export { base64ToFloat32, float32ToBase64 } from './radiance/data/float32-base64.js';
export { decodeCompactRadianceModelWith } from './radiance/io/compact-model-decode.js';
export { COMPACT_GAUSSIAN_MAGIC, decodeCompactGaussiansWith } from './radiance/io/compact-gaussian-decode.js';
export { fileMagic } from './radiance/io/file-header.js';
export { RadianceViewerDevice, orbitPath, poseCamera, type PoseMatrix } from './radiance/render/viewing-session-rendering.js';
