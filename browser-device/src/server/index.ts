// The server side of the browser device: the route an edge daemon serves the page from.
export { BrowserDeviceSite, type BrowserDeviceSiteOptions } from './browser-device-site.js';
