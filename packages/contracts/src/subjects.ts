// NATS subjects. Every deployment (and every test) chooses a prefix so several can share one NATS server.
export interface Subjects {
  readonly prefix: string;
  command(instanceId: string, verb: string): string;
  worker(workerId: string, verb: string): string;
  event(customerId: string, instanceId: string, type: string): string;
  /** Wildcard covering every event of the deployment (the JetStream stream's subject). */
  readonly allEvents: string;
  /** Name of the JetStream stream holding the events. */
  readonly eventStream: string;
  /** Name of the KV bucket holding the worker registry. */
  readonly workerRegistryBucket: string;
}

const PREFIX = /^[A-Za-z0-9_-]{1,64}$/;

export function subjects(prefix: string): Subjects {
  if (!PREFIX.test(prefix)) throw new Error(`NATS prefix must match ${PREFIX}, got "${prefix}"`);
  return {
    prefix,
    command: (instanceId, verb) => `${prefix}.cmd.${instanceId}.${verb}`,
    worker: (workerId, verb) => `${prefix}.worker.${workerId}.${verb}`,
    event: (customerId, instanceId, type) => `${prefix}.evt.${customerId}.${instanceId}.${type}`,
    allEvents: `${prefix}.evt.>`,
    eventStream: `${prefix}_events`,
    workerRegistryBucket: `${prefix}_workers`,
  };
}
