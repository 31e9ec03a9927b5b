// Test fixture: a real Baileys socket (in-memory auth state) pointed at a simulator, with its events recorded.
import makeWASocket, {
  type AuthenticationCreds,
  type BaileysEventMap,
  BufferJSON,
  initAuthCreds,
  type SignalDataSet,
  type SignalDataTypeMap,
  type SignalKeyStore,
  type UserFacingSocketConfig,
  type WASocket,
} from '@whiskeysockets/baileys';
import pino from 'pino';

const logger = pino({ level: process.env.BAILEYS_LOG_LEVEL ?? 'silent' });

export interface MemoryAuthState {
  creds: AuthenticationCreds;
  keys: SignalKeyStore;
}

/** Auth state kept in memory across sockets, the way a worker keeps it on disk. */
export function memoryAuthState(): MemoryAuthState {
  const store = new Map<string, unknown>();
  const keys: SignalKeyStore = {
    async get<T extends keyof SignalDataTypeMap>(type: T, ids: string[]) {
      const out: { [id: string]: SignalDataTypeMap[T] } = {};
      for (const id of ids) {
        const value = store.get(`${type}:${id}`);
        if (value !== undefined) out[id] = value as SignalDataTypeMap[T];
      }
      return out;
    },
    async set(data: SignalDataSet) {
      for (const [type, entries] of Object.entries(data)) {
        for (const [id, value] of Object.entries(entries ?? {})) {
          if (value === null || value === undefined) store.delete(`${type}:${id}`);
          else store.set(`${type}:${id}`, value);
        }
      }
    },
  };
  return { creds: initAuthCreds(), keys };
}

/** Deep copy through Baileys' JSON codec, as a reload from disk would give. */
export function cloneCreds(creds: AuthenticationCreds): AuthenticationCreds {
  return JSON.parse(JSON.stringify(creds, BufferJSON.replacer), BufferJSON.reviver) as AuthenticationCreds;
}

type EventName = keyof BaileysEventMap;

export interface Recorded {
  event: EventName;
  data: unknown;
}

export class BaileysClient {
  readonly sock: WASocket;
  readonly auth: MemoryAuthState;
  readonly log: Recorded[] = [];
  readonly #waiters = new Set<{ test: (r: Recorded) => boolean; resolve: (r: Recorded) => void }>();

  constructor(url: string, auth: MemoryAuthState, config: Partial<UserFacingSocketConfig> = {}) {
    this.auth = auth;
    this.sock = makeWASocket({
      waWebSocketUrl: url,
      auth,
      logger,
      qrTimeout: 400,
      connectTimeoutMs: 15_000,
      defaultQueryTimeoutMs: 15_000,
      markOnlineOnConnect: false,
      ...config,
    });
    const events: EventName[] = ['connection.update', 'creds.update', 'messages.upsert', 'messages.update'];
    for (const event of events) {
      this.sock.ev.on(event, (data: unknown) => {
        if (event === 'creds.update') Object.assign(auth.creds, data);
        const recorded = { event, data };
        this.log.push(recorded);
        for (const waiter of this.#waiters) {
          if (waiter.test(recorded)) {
            this.#waiters.delete(waiter);
            waiter.resolve(recorded);
          }
        }
      });
    }
  }

  /** First recorded (past or future) event of this kind whose data matches. */
  waitFor<E extends EventName>(
    event: E,
    match: (data: BaileysEventMap[E]) => boolean = () => true,
    timeoutMs = 10_000,
  ): Promise<BaileysEventMap[E]> {
    const test = (r: Recorded) => r.event === event && match(r.data as BaileysEventMap[E]);
    const past = this.log.find(test);
    if (past) return Promise.resolve(past.data as BaileysEventMap[E]);
    return new Promise((resolve, reject) => {
      const waiter = {
        test,
        resolve: (r: Recorded) => {
          clearTimeout(timer);
          resolve(r.data as BaileysEventMap[E]);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new Error(`timed out waiting for Baileys ${event}`));
      }, timeoutMs);
      this.#waiters.add(waiter);
    });
  }

  waitForOpen(): Promise<unknown> {
    return this.waitFor('connection.update', (u) => u.connection === 'open');
  }

  async waitForQr(): Promise<string> {
    const update = await this.waitFor('connection.update', (u) => typeof u.qr === 'string');
    return update.qr!;
  }

  /** Status code of the close, once Baileys reports it. */
  async waitForClose(): Promise<number | undefined> {
    const update = await this.waitFor('connection.update', (u) => u.connection === 'close');
    return (update.lastDisconnect?.error as { output?: { statusCode?: number } } | undefined)?.output
      ?.statusCode;
  }

  /**
   * Waits until Baileys reports `status` for our message `id`. Baileys folds updates that reach it within ~100 ms of
   * the message's own `messages.upsert` (type append) into that upsert, so both events are looked at.
   */
  async waitForStatus(id: string, status: number): Promise<{ messageStubParameters?: string[] | null }> {
    const inUpsert = (u: BaileysEventMap['messages.upsert']) =>
      u.messages.find((m) => m.key.id === id && m.status === status);
    const inUpdate = (u: BaileysEventMap['messages.update']) =>
      u.find((x) => x.key.id === id && x.update.status === status)?.update;
    return Promise.any([
      this.waitFor('messages.upsert', (u) => Boolean(inUpsert(u))).then((u) => inUpsert(u)!),
      this.waitFor('messages.update', (u) => Boolean(inUpdate(u))).then((u) => inUpdate(u)!),
    ]);
  }

  end(): void {
    this.sock.end(undefined);
  }
}

/** Pairs a fresh Baileys auth state with the phone of `msisdn` by QR and returns the open, fully synced socket. */
export async function linkDevice(
  sim: { url: string; scanQr(msisdn: string, qr: string): { deviceId: number } },
  msisdn: string,
  config: Partial<UserFacingSocketConfig> = {},
): Promise<{ client: BaileysClient; deviceId: number }> {
  const auth = memoryAuthState();
  const registering = new BaileysClient(sim.url, auth, config);
  const { deviceId } = sim.scanQr(msisdn, await registering.waitForQr());
  await registering.waitForClose();
  const client = new BaileysClient(sim.url, auth, config);
  await client.waitForOpen();
  await client.waitFor('creds.update', (update) => update.accountSyncCounter === 1);
  return { client, deviceId };
}
