// What the simulator reports to observers (control API, tests, the HTTP event feed).
import { EventEmitter } from 'node:events';

export type SimEventBody =
  | { type: 'account.created'; msisdn: string; lid: string }
  | { type: 'registration.started'; connectionId: number; refs: string[] }
  | { type: 'pairing-code.requested'; msisdn: string; connectionId: number }
  | { type: 'device.linked'; msisdn: string; deviceId: number; method: 'qr' | 'pairing-code' }
  /** `offline` is how many held stanzas were delivered before `<ib><offline count>`. */
  | { type: 'device.online'; msisdn: string; deviceId: number; offline: number }
  | { type: 'device.offline'; msisdn: string; deviceId: number }
  | { type: 'device.removed'; msisdn: string; deviceId: number; reason: string }
  | { type: 'login.refused'; msisdn: string; deviceId: number; reason: string }
  | { type: 'message.relayed'; from: string; fromDevice: number; to: string; id: string; error?: string }
  | {
      type: 'phone.received';
      msisdn: string;
      id: string;
      from: string;
      text?: string;
      ownDeviceCopy: boolean;
    }
  | { type: 'phone.duplicate_ignored'; msisdn: string; id: string; from: string }
  /** The phone could not decrypt a copy addressed to it (e.g. "Bad MAC"): the message is not shown. */
  | { type: 'phone.decrypt_failed'; msisdn: string; id: string; from: string; error: string }
  | { type: 'phone.sent'; from: string; to: string; deviceId: number; id: string; cipher: 'pkmsg' | 'msg' }
  | { type: 'receipt.sent'; from: string; to: string; id: string; receipt: 'delivered' | 'read' }
  | { type: 'receipt.received'; msisdn: string; from: string; id: string; receipt: string }
  | { type: 'history.sent'; msisdn: string; deviceId: number };

export type SimEvent = SimEventBody & { seq: number; at: number };

const MAX_LOG = 10_000;

export class EventLog extends EventEmitter<{ event: [SimEvent] }> {
  readonly #log: SimEvent[] = [];
  #seq = 0;

  constructor() {
    super();
    // every waitFor and HTTP long-poll is a listener; dozens at once are normal here
    this.setMaxListeners(0);
  }

  /** Events after `seq`; when there are none, waits up to `waitMs` for the next one (HTTP long-polling). */
  async next(seq: number, waitMs: number): Promise<SimEvent[]> {
    const ready = this.since(seq);
    if (ready.length > 0 || waitMs <= 0) return ready;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.off('event', done);
        resolve();
      };
      const timer = setTimeout(done, waitMs);
      this.on('event', done);
    });
    return this.since(seq);
  }

  record(body: SimEventBody): void {
    const event = { ...body, seq: ++this.#seq, at: Date.now() } as SimEvent;
    this.#log.push(event);
    if (this.#log.length > MAX_LOG) this.#log.splice(0, this.#log.length - MAX_LOG);
    this.emit('event', event);
  }

  since(seq = 0): SimEvent[] {
    return this.#log.filter((event) => event.seq > seq);
  }

  /** Resolves with the first event (already logged or future) that matches. */
  waitFor<T extends SimEvent['type']>(
    type: T,
    match: (event: Extract<SimEvent, { type: T }>) => boolean = () => true,
    timeoutMs = 10_000,
  ): Promise<Extract<SimEvent, { type: T }>> {
    const found = this.#log.find(
      (event) => event.type === type && match(event as Extract<SimEvent, { type: T }>),
    );
    if (found) return Promise.resolve(found as Extract<SimEvent, { type: T }>);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('event', listener);
        reject(new Error(`timed out waiting for simulator event ${type}`));
      }, timeoutMs);
      const listener = (event: SimEvent) => {
        if (event.type === type && match(event as Extract<SimEvent, { type: T }>)) {
          clearTimeout(timer);
          this.off('event', listener);
          resolve(event as Extract<SimEvent, { type: T }>);
        }
      };
      this.on('event', listener);
    });
  }
}
