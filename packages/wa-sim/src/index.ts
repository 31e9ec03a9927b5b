export type { AccountInfo, DeviceInfo, MediaInput } from './control.ts';
export { SimulatorControl } from './control.ts';
export type { SimEvent, SimEventBody } from './events.ts';
export type { KickKind } from './kicks.ts';
export { RATE_LIMITED_ACK_ERROR } from './messaging.ts';
export type { PhoneMessage, SentByPhone } from './model.ts';
export type { QrOnOffer } from './qr-codes.ts';
export { type Simulator, type SimulatorOptions, startSimulator } from './simulator.ts';
export { type TrustOptions, trustSimulator } from './trust-config.ts';
