export * from './bus.ts';
export { createInProcessBus, InProcessBus, type InProcessBusOptions } from './in-process-bus.ts';
export { connectNatsBus, NatsBus, type NatsBusOptions } from './nats-bus.ts';
