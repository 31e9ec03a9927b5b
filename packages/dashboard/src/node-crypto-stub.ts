// The browser build takes createClient from @whatisup/sdk, whose webhook helpers (never called here) import
// node:crypto; this stands in for it so nothing Node-only reaches the bundle.
function unavailable(): never {
  throw new Error('node:crypto is not available in the dashboard');
}
export const createHmac = unavailable;
export const timingSafeEqual = unavailable;
