// What a browser device needs of the tasks (`@strata/tasks/browser`): the trainers built from a device's own
// data, with no loader, file system or worker thread in their import graph, so the page's Web Worker bundles
// them as they are.
export { BprMfDevice, ITEM_EMBEDDING, ITEM_BIAS, type BprMfPrivateState } from './recsys/bpr-mf/bpr-mf-device.js';
export {
  bprMfDeviceDataSchema,
  bprMfDeviceFromData,
  type BprMfDeviceData,
} from './recsys/bpr-mf/bpr-mf-device-data.js';
