// What a browser device needs of the tasks (`@strata/tasks/browser`): the recommender trainers built from a
// device's own data (BPR-MF and NeuMF, hand-written kernels), and the radiance viewer's side of a viewing
// session (reading the compact model, rendering it, warping the edge's frames), with no loader, file system or
// worker thread in their import graph, so the page and its Web Worker bundle them as they are.
export * from './recsys/device-data/index.js';
export { BprMfDevice, ITEM_EMBEDDING, ITEM_BIAS } from './recsys/bpr-mf/bpr-mf-device.js';
export { NeuMFDevice } from './recsys/neumf/neumf-device.js';
export { decodeCompactRadianceModelWith } from './radiance/io/compact-model-decode.js';
export { RadianceViewerDevice, orbitPath, poseCamera, type PoseMatrix } from './radiance/render/viewing-session-rendering.js';
