// What a browser device needs of the tasks (`@strata/tasks/browser`): the recommender trainers built from a
// device's own data (BPR-MF and NeuMF, hand-written kernels), with no loader, file system or worker thread in
// their import graph, so the page's Web Worker bundles them as they are.
export * from './recsys/device-data/index.js';
export { BprMfDevice, ITEM_EMBEDDING, ITEM_BIAS } from './recsys/bpr-mf/bpr-mf-device.js';
export { NeuMFDevice } from './recsys/neumf/neumf-device.js';
