export { connectNatsBus, decodeEvent, type NatsBus, type NatsBusOptions } from './nats-bus.ts';
