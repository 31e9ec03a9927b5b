// One held instance: its Baileys socket, its lifecycle (every transition an event), its durable send queue,
// and what it answers to commands. All WhatsApp-facing policy of the worker lives here.
import {
  type EventData,
  type eventDataSchemas,
  type InstanceState,
  type InstanceStatus,
  messageIdFromWa,
  type SendErrorCode,
  type SendRequest,
  seededId,
  waMessageIdFor,
} from '@whatisup/contracts';
import makeWASocket, {
  type AnyMessageContent,
  type BinaryNode,
  Browsers,
  type ConnectionState,
  DEFAULT_CONNECTION_CONFIG,
  DisconnectReason,
  getBinaryNodeChildren,
  jidDecode,
  type MiscMessageGenerationOptions,
  type SignalKeyStoreWithTransaction,
  type WAMessage,
  type WAMessageUpdate,
  type WASocket,
} from '@whiskeysockets/baileys';
import type { Logger } from 'pino';
import {
  AuthStateUnreadableError,
  type AuthStore,
  openAuthStore,
  wipeAuthStore,
} from '../auth-state/index.ts';
import { detachCacheTimers } from './detached-caches.ts';
import { describeInbound } from './inbound.ts';
import { InboundSpool, spooledMessage } from './inbound-spool.ts';
import { MediaFetchError, type MediaFetcher } from './media-fetch.ts';
import { Outbox, type OutboxEntry } from './outbox.ts';
import { guardTrialDecryption, serializeSignalTransactions } from './signal-guards.ts';
import { backoffDelay, SlidingBudget } from './throttle.ts';

/** The shape of Baileys' close errors (@hapi/boom). */
interface Boom extends Error {
  output?: { statusCode?: number };
  data?: unknown;
}

export interface SessionConfig {
  waWebSocketUrl: string | undefined;
  qrTimeoutMs: number;
  reconnectBaseMs: number;
  reconnectMaxMs: number;
  reconnectBudget: number;
  reconnectWindowMs: number;
  qrSessionBudget: number;
  qrWindowMs: number;
  sendTimeoutMs: number;
  sendQueueWaitMs: number;
}

export interface EmitOptions {
  /** The event's id when it must be the same each time the event is made (the stream drops repeats). */
  id?: string;
  /** Called once the stream has stored the event. */
  onPublished?: () => void;
}

type Emit = <T extends keyof typeof eventDataSchemas>(
  type: T,
  data: EventData<T>,
  options?: EmitOptions,
) => void;

export interface SessionDeps {
  instanceId: string;
  customerId: string;
  workerId: string;
  authDir: string;
  outboxDir: string;
  /** Inbound messages acked to WhatsApp whose event is not yet on the stream. */
  inboundDir: string;
  config: SessionConfig;
  logger: Logger;
  baileysLogger: Logger;
  media: MediaFetcher;
  emit: Emit;
  onStateChange(): void;
}

/** A command the session refuses, with the code the gateway maps to HTTP. */
export class SessionCommandError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

const INVALIDATION_TEXT: Record<string, string> = {
  device_removed:
    'The device was unlinked from the phone (Linked devices). The auth-state was wiped: fetch a new QR code to link again.',
  connection_replaced:
    'Another WhatsApp Web session for this number replaced ours (only one Web session per number). Close other web.whatsapp.com sessions, then fetch a new QR code.',
  logged_out:
    'WhatsApp logged this device out (e.g. the number was registered on another phone). The auth-state was wiped: fetch a new QR code to link again.',
};

interface AckWaiter {
  resolve(error: string | null): void;
}

export class InstanceSession {
  readonly instanceId: string;
  readonly customerId: string;
  status: InstanceStatus = 'created';
  phone: string | null = null;
  pushName: string | null = null;
  lastError: { code: string; message: string } | null = null;
  qr: { qr: string; expiresAt: number } | null = null;
  /** Last frame received from WhatsApp on the current socket (the Baileys probe in /readyz). */
  lastFrameAt = 0;
  reconnects = 0;

  readonly #deps: SessionDeps;
  readonly #outbox: Outbox;
  readonly #inbound: InboundSpool;
  #inboundReplayed = false;
  readonly #reconnectBudget: SlidingBudget;
  readonly #qrBudget: SlidingBudget;
  #store: AuthStore | null = null;
  #sock: WASocket | null = null;
  #reconnectAttempt = 0;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #stopped = false;
  #closingOnPurpose = false;
  /** Whether the current socket showed a QR: a timeout after one is qr_timeout, before one WhatsApp was unreachable. */
  #qrShown = false;
  readonly #queue: OutboxEntry[] = [];
  #draining = false;
  readonly #ackWaiters = new Map<string, AckWaiter>();
  #connectedWaiters: Array<() => void> = [];
  readonly #onWhatsAppCache = new Map<string, { jid: string; at: number }>();
  /** Highest receipt already emitted per WhatsApp id (1 delivered, 2 read), bounded to the most recent. */
  readonly #receiptsSeen = new Map<string, number>();

  constructor(deps: SessionDeps) {
    this.#deps = deps;
    this.instanceId = deps.instanceId;
    this.customerId = deps.customerId;
    this.#outbox = new Outbox(deps.outboxDir);
    this.#inbound = new InboundSpool(deps.inboundDir);
    this.#reconnectBudget = new SlidingBudget(deps.config.reconnectBudget, deps.config.reconnectWindowMs);
    this.#qrBudget = new SlidingBudget(deps.config.qrSessionBudget, deps.config.qrWindowMs);
  }

  get registered(): boolean {
    return this.#store?.state.creds.registered === true || Boolean(this.#store?.state.creds.me);
  }

  get sendQueueLength(): number {
    return this.#queue.length;
  }

  state(): InstanceState {
    return {
      status: this.status,
      phone: this.phone,
      push_name: this.pushName,
      last_error: this.lastError,
      worker_id: this.#deps.workerId,
    };
  }

  /** Settles once start() has opened the auth-state (or found it unreadable): commands wait for it. */
  #opened: Promise<void> | undefined;

  /** Opens the auth-state (an unreadable one stops here, visibly) and connects. */
  start(): Promise<void> {
    const starting = this.#start();
    this.#opened = starting.then(
      () => {},
      () => {},
    );
    return starting;
  }

  async #start(): Promise<void> {
    if (!this.#inboundReplayed) await this.#replayInbound();
    try {
      this.#store = await openAuthStore(this.#deps.authDir);
    } catch (error) {
      if (error instanceof AuthStateUnreadableError) {
        this.#setStatus('auth_state_unreadable', { code: 'auth_state_unreadable', message: error.message });
        this.#deps.emit('instance.disconnected', {
          status: this.status,
          reason: 'auth_state_unreadable',
          message: error.message,
          will_reconnect: false,
        });
        return;
      }
      throw error;
    }
    const pending = await this.#outbox.pending();
    this.#queue.push(...pending);
    this.#connect('start');
    // what WhatsApp had acknowledged before the stop is reported now, without waiting for the connection
    if (pending.some((entry) => entry.acked)) void this.#drainQueue();
  }

  // Commands ------------------------------------------------------------------------------------------------

  currentQr(): { qr: string; expires_at: string } {
    const now = Date.now();
    if (this.qr && this.qr.expiresAt > now) {
      return { qr: this.qr.qr, expires_at: new Date(this.qr.expiresAt).toISOString() };
    }
    switch (this.status) {
      case 'connected':
        throw new SessionCommandError(
          'qr_unavailable',
          'The instance is already connected: no QR code is needed.',
        );
      case 'auth_state_unreadable':
        throw new SessionCommandError(
          'qr_unavailable',
          `The stored session cannot be read (${this.lastError?.message}). Fix the volume's ownership or permissions; no new QR is generated so the existing link is not lost.`,
        );
      case 'connecting':
      case 'qr_required':
        throw new SessionCommandError(
          'qr_unavailable',
          'A QR code is being generated; it arrives within seconds as a qr.updated event. Retry shortly.',
        );
      default:
        if (this.registered) {
          throw new SessionCommandError(
            'qr_unavailable',
            'The instance is linked and reconnecting; no QR code is needed.',
          );
        }
        // qr_timeout, disconnected after invalidation, created: a QR fetch starts a new pairing.
        this.#startFreshPairing();
        throw new SessionCommandError(
          'qr_unavailable',
          'A new QR code is being generated; it arrives within seconds as a qr.updated event. Retry shortly.',
        );
    }
  }

  async pairingCode(phone: string): Promise<string> {
    if (this.registered)
      throw new SessionCommandError('instance_already_linked', 'The instance is already linked.');
    if (this.status !== 'qr_required') {
      if (this.status !== 'connecting') this.#startFreshPairing();
      await this.#waitForStatus('qr_required', 15_000);
    }
    if (!this.#sock)
      throw new SessionCommandError('not_connected', 'The connection to WhatsApp dropped; retry.');
    return this.#sock.requestPairingCode(phone);
  }

  async restart(): Promise<void> {
    if (this.status === 'auth_state_unreadable') {
      await this.start();
      return;
    }
    const wait = this.#reconnectBudget.waitMs(Date.now());
    if (wait > 0) {
      throw new SessionCommandError(
        'restart_throttled',
        `Too many reconnects of this number recently; to protect it from WhatsApp's limits the next one is allowed in ${Math.ceil(wait / 1000)} s.`,
      );
    }
    this.#closeSocket();
    clearTimeout(this.#reconnectTimer);
    this.#reconnectAttempt = 0;
    if (this.registered) this.#connect('restart');
    else this.#startFreshPairing();
  }

  /** Unlinks the device on WhatsApp and wipes the auth-state. */
  async logout(): Promise<void> {
    clearTimeout(this.#reconnectTimer);
    const sock = this.#sock;
    if (sock) {
      this.#closingOnPurpose = true;
      await sock.logout().catch(() => {});
      this.#sock = null;
    }
    await this.#wipe();
    this.#setStatus('disconnected', {
      code: 'logged_out',
      message: 'Logged out through the API; fetch a new QR code to link again.',
    });
    this.#deps.emit('instance.disconnected', {
      status: this.status,
      reason: 'logged_out',
      message: this.lastError!.message,
      will_reconnect: false,
    });
    await this.#failQueued('not_connected', 'The instance was logged out before the message was sent.');
  }

  /** Stops holding the instance: closes the socket without logging out and flushes the auth-state. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#reconnectTimer);
    this.#closeSocket();
    for (const resolve of this.#connectedWaiters.splice(0)) resolve();
    await this.#store?.close();
    this.#store = null;
  }

  async enqueue(request: SendRequest): Promise<{ message_id: string; wa_message_id: string }> {
    // A send that arrives while a resumed session is still opening its auth-state is queued behind the
    // outbox's pending messages, not refused as "not linked".
    await this.#opened;
    if (this.status === 'auth_state_unreadable' || !this.registered) {
      throw new SessionCommandError(
        'instance_not_connected',
        `The instance is not linked to a WhatsApp number (status ${this.status}); link it with a QR code first.`,
      );
    }
    const existing = this.#queue.find((entry) => entry.request.message_id === request.message_id);
    if (existing) return { message_id: request.message_id, wa_message_id: existing.wa_message_id };
    const entry: OutboxEntry = {
      request,
      wa_message_id: waMessageIdFor(request.message_id),
      accepted_at: new Date().toISOString(),
    };
    await this.#outbox.put(entry);
    this.#queue.push(entry);
    void this.#drainQueue();
    return { message_id: request.message_id, wa_message_id: entry.wa_message_id };
  }

  // Connection lifecycle ----------------------------------------------------------------------------------------

  #startFreshPairing(): void {
    const wait = this.#qrBudget.waitMs(Date.now());
    if (wait > 0) {
      throw new SessionCommandError(
        'qr_throttled',
        `Too many new QR codes for this instance recently; to protect the number from WhatsApp's temporary limits the next one is allowed in ${Math.ceil(wait / 1000)} s.`,
      );
    }
    this.#closeSocket();
    clearTimeout(this.#reconnectTimer);
    this.#qrBudget.use(Date.now());
    void this.#openStore()
      .then(() => this.#connect('pairing'))
      .catch((error: Error) =>
        this.#deps.logger.error(
          { instance_id: this.instanceId, err: error.message },
          'could not start pairing',
        ),
      );
  }

  async #openStore(): Promise<void> {
    this.#store ??= await openAuthStore(this.#deps.authDir);
  }

  #connect(reason: 'start' | 'restart' | 'pairing' | 'reconnect' | 'restart_required'): void {
    if (this.#stopped || !this.#store) return;
    const now = Date.now();
    if (!this.registered && reason === 'start') this.#qrBudget.use(now);
    else if (reason === 'reconnect' || reason === 'restart') this.#reconnectBudget.use(now);
    this.qr = null;
    this.#setStatus('connecting', this.status === 'connecting' ? this.lastError : null);
    this.#deps.emit('instance.connecting', { status: 'connecting', worker_id: this.#deps.workerId });
    this.#deps.logger.info({ instance_id: this.instanceId, reason }, 'connecting to WhatsApp');

    const store = this.#store;
    // the stanza each ciphertext came in, so a decrypted message can be spooled with its id and sender
    const stanzas = new WeakMap<Uint8Array, BinaryNode>();
    const sock = makeWASocket({
      // The store keeps only an index in memory and reads values on demand: no extra key cache per session.
      auth: store.state,
      logger: this.#deps.baileysLogger,
      browser: Browsers.ubuntu('WhatIsUp'),
      qrTimeout: this.#deps.config.qrTimeoutMs,
      markOnlineOnConnect: false,
      syncFullHistory: false,
      connectTimeoutMs: 20_000,
      defaultQueryTimeoutMs: 20_000,
      getMessage: async () => undefined,
      makeSignalRepository: (auth, logger, pnToLid) => {
        const keys = auth.keys as SignalKeyStoreWithTransaction;
        serializeSignalTransactions(keys);
        const repository = DEFAULT_CONNECTION_CONFIG.makeSignalRepository(auth, logger, pnToLid);
        guardTrialDecryption(keys, repository);
        detachCacheTimers(repository.lidMapping);
        const decryptMessage = repository.decryptMessage.bind(repository);
        repository.decryptMessage = async (input) => {
          const plaintext = await decryptMessage(input);
          const stanza = stanzas.get(input.ciphertext);
          // Baileys sends the receipt once this returns: the message must be durable here first
          if (stanza && this.#fromContact(stanza)) {
            await this.#inbound.put(stanza, plaintext).catch((error: Error) => {
              // no receipt then: Baileys treats it as undecryptable and asks the sender to retry
              this.#deps.logger.error(
                { instance_id: this.instanceId, err: error.message },
                'could not spool an inbound message; not acknowledging it',
              );
              throw error;
            });
          }
          return plaintext;
        };
        return repository;
      },
      ...(this.#deps.config.waWebSocketUrl ? { waWebSocketUrl: this.#deps.config.waWebSocketUrl } : {}),
    });
    detachCacheTimers(sock.messageRetryManager);
    this.#sock = sock;
    this.#closingOnPurpose = false;
    this.#qrShown = false;
    this.lastFrameAt = Date.now();
    sock.ev.on('creds.update', () => {
      void store
        .saveCreds()
        .catch((error: Error) =>
          this.#deps.logger.error(
            { instance_id: this.instanceId, err: error.message },
            'could not persist creds',
          ),
        );
    });
    sock.ev.on('connection.update', (update) => this.#onConnectionUpdate(sock, update));
    sock.ev.on('messages.upsert', ({ messages, type }) => {
      // Messages WhatsApp held while we were offline (worker restart, reconnect) come as 'append', not 'notify'.
      if (type === 'notify' || type === 'append') for (const message of messages) this.#onInbound(message);
      // Baileys folds receipts that arrive right after our own send into that message's upsert.
      const own = messages.filter((m) => m.key.fromMe && m.status !== undefined && m.status !== null);
      if (own.length > 0)
        this.#onMessageUpdates(own.map((m) => ({ key: m.key, update: { status: m.status } })));
    });
    sock.ev.on('messages.update', (updates) => this.#onMessageUpdates(updates));
    sock.ws.on('CB:ack,class:message', (node: BinaryNode) => this.#onAck(node));
    sock.ws.on('CB:message', (node: BinaryNode) => {
      for (const enc of getBinaryNodeChildren(node, 'enc'))
        if (enc.content instanceof Uint8Array) stanzas.set(enc.content, node);
    });
    sock.ws.on('message', () => {
      this.lastFrameAt = Date.now();
    });
  }

  #onConnectionUpdate(sock: WASocket, update: Partial<ConnectionState>): void {
    if (sock !== this.#sock) return;
    if (update.qr) {
      this.#qrShown = true;
      const expiresAt = Date.now() + this.#deps.config.qrTimeoutMs;
      this.qr = { qr: update.qr, expiresAt };
      this.#setStatus('qr_required', null);
      this.#deps.emit('qr.updated', {
        status: 'qr_required',
        qr: update.qr,
        expires_at: new Date(expiresAt).toISOString(),
      });
    }
    if (update.connection === 'open') {
      const me = sock.user;
      this.phone = me?.id ? (jidDecode(me.id)?.user ?? null) : null;
      this.pushName = me?.name ?? me?.notify ?? null;
      this.qr = null;
      this.#reconnectAttempt = 0;
      this.#setStatus('connected', null);
      this.#deps.emit('instance.connected', {
        status: 'connected',
        phone: this.phone ?? '',
        push_name: this.pushName,
        worker_id: this.#deps.workerId,
      });
      for (const resolve of this.#connectedWaiters.splice(0)) resolve();
      void this.#drainQueue();
    }
    if (update.connection === 'close') {
      this.#sock = null;
      this.qr = null;
      if (this.#stopped || this.#closingOnPurpose) return;
      const error = update.lastDisconnect?.error as Boom | undefined;
      const code = error?.output?.statusCode ?? 0;
      void this.#onClose(code, error);
    }
  }

  async #onClose(code: number, error: Boom | undefined): Promise<void> {
    const message = error?.message ?? 'connection closed';
    if (code === DisconnectReason.restartRequired) {
      this.#connect('restart_required');
      return;
    }
    if (code === DisconnectReason.loggedOut || code === DisconnectReason.connectionReplaced) {
      const reason =
        code === DisconnectReason.connectionReplaced
          ? 'connection_replaced'
          : JSON.stringify(error?.data ?? '').includes('device_removed')
            ? 'device_removed'
            : 'logged_out';
      await this.#invalidate(reason);
      return;
    }
    if (!this.registered && !this.#qrShown) {
      // Never got as far as a QR: WhatsApp was unreachable. Retry with backoff (within the reconnect budget).
      this.#setStatus('disconnected', {
        code: 'whatsapp_unreachable',
        message: `Could not reach WhatsApp (${code} ${message}); retrying.`,
      });
      this.#deps.emit('instance.disconnected', {
        status: 'disconnected',
        reason: 'whatsapp_unreachable',
        message: this.lastError!.message,
        will_reconnect: true,
      });
      this.#scheduleReconnect();
      return;
    }
    if (code === DisconnectReason.timedOut && !this.registered) {
      this.#setStatus('qr_timeout', {
        code: 'qr_timeout',
        message: 'The QR codes expired without being scanned. Fetch the QR again to start a new pairing.',
      });
      this.#deps.emit('instance.disconnected', {
        status: 'qr_timeout',
        reason: 'qr_timeout',
        message: this.lastError!.message,
        will_reconnect: false,
      });
      return;
    }
    if (!this.registered) {
      // A pairing attempt that failed for another reason: do not spin; the next QR fetch starts again.
      this.#setStatus('disconnected', {
        code: 'pairing_interrupted',
        message: `Pairing interrupted (${code} ${message}). Fetch the QR again.`,
      });
      this.#deps.emit('instance.disconnected', {
        status: 'disconnected',
        reason: 'pairing_interrupted',
        message: this.lastError!.message,
        will_reconnect: false,
      });
      return;
    }
    this.#setStatus('disconnected', {
      code: 'connection_lost',
      message: `WhatsApp connection closed (${code} ${message}); reconnecting.`,
    });
    this.#deps.emit('instance.disconnected', {
      status: 'disconnected',
      reason: 'connection_lost',
      message: this.lastError!.message,
      will_reconnect: true,
    });
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    const now = Date.now();
    const budgetWait = this.#reconnectBudget.waitMs(now);
    const delay = Math.max(
      budgetWait,
      backoffDelay(
        this.#reconnectAttempt++,
        this.#deps.config.reconnectBaseMs,
        this.#deps.config.reconnectMaxMs,
      ),
    );
    this.reconnects++;
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = setTimeout(() => this.#connect('reconnect'), delay);
    this.#reconnectTimer.unref();
  }

  async #invalidate(reason: string): Promise<void> {
    const message = INVALIDATION_TEXT[reason] ?? INVALIDATION_TEXT.logged_out!;
    await this.#wipe();
    this.#setStatus('disconnected', { code: 'session_invalidated', message });
    this.#deps.emit('session.invalidated', { status: 'disconnected', reason, message });
    this.#deps.emit('instance.disconnected', {
      status: 'disconnected',
      reason: 'session_invalidated',
      message,
      will_reconnect: false,
    });
    await this.#failQueued(
      'not_connected',
      'The WhatsApp session was invalidated before the message was sent.',
    );
  }

  /** Deletes the auth-state directory; a fresh one is created only when a new pairing starts. */
  async #wipe(): Promise<void> {
    await this.#store?.close();
    this.#store = null;
    await wipeAuthStore(this.#deps.authDir);
    this.phone = null;
    this.pushName = null;
  }

  #closeSocket(): void {
    const sock = this.#sock;
    if (!sock) return;
    this.#closingOnPurpose = true;
    this.#sock = null;
    sock.end(undefined);
  }

  #setStatus(status: InstanceStatus, lastError: { code: string; message: string } | null): void {
    this.status = status;
    this.lastError = lastError;
    this.#deps.onStateChange();
  }

  #waitForStatus(status: InstanceStatus, timeoutMs: number): Promise<void> {
    const started = Date.now();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.status === status) return resolve();
        if (Date.now() - started > timeoutMs || this.#stopped) {
          return reject(new SessionCommandError('timeout', `The instance did not reach ${status} in time.`));
        }
        setTimeout(check, 25);
      };
      check();
    });
  }

  // Sending -------------------------------------------------------------------------------------------------

  async #drainQueue(): Promise<void> {
    if (this.#draining) return;
    this.#draining = true;
    try {
      while (this.#queue.length > 0 && !this.#stopped) {
        const entry = this.#queue[0]!;
        if (entry.acked) {
          await this.#finish(entry, null);
          continue;
        }
        if (this.status !== 'connected') {
          const waited = Date.now() - Date.parse(entry.accepted_at);
          const left = this.#deps.config.sendQueueWaitMs - waited;
          if (left <= 0 || !this.registered) {
            await this.#finish(entry, {
              code: 'not_connected',
              message: 'The WhatsApp connection was down and did not come back in time.',
            });
            continue;
          }
          await this.#waitConnected(Math.min(left, 5_000));
          continue;
        }
        const outcome = await this.#sendOne(entry);
        if (outcome === 'retry') continue;
        await this.#finish(entry, outcome);
      }
    } finally {
      this.#draining = false;
    }
  }

  #waitConnected(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.#connectedWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** null = sent; 'retry' = the socket dropped mid-send, try again once reconnected (same WhatsApp id). */
  async #sendOne(entry: OutboxEntry): Promise<{ code: SendErrorCode; message: string } | null | 'retry'> {
    const sock = this.#sock;
    if (!sock) return 'retry';
    const { request } = entry;
    let jid: string;
    try {
      const found = await this.#resolveRecipient(sock, request.to);
      if (!found) return { code: 'recipient_not_on_whatsapp', message: `${request.to} is not on WhatsApp.` };
      jid = found;
    } catch (error) {
      if (this.#sock !== sock) return 'retry';
      return { code: 'timeout', message: `Could not look up the recipient: ${(error as Error).message}` };
    }

    let content: AnyMessageContent;
    try {
      content = await this.#buildContent(request, jid);
    } catch (error) {
      if (error instanceof MediaFetchError) return { code: 'media_fetch_failed', message: error.message };
      return { code: 'unknown', message: (error as Error).message };
    }
    const options: MiscMessageGenerationOptions = { messageId: entry.wa_message_id };
    if (request.reply_to) {
      options.quoted = {
        key: {
          remoteJid: `${request.reply_to.chat}@s.whatsapp.net`,
          fromMe: request.reply_to.from_me,
          id: request.reply_to.wa_message_id,
        },
        message: { conversation: request.reply_to.text ?? '' },
      } as WAMessage;
    }

    const acked = new Promise<string | null>((resolve) =>
      this.#ackWaiters.set(entry.wa_message_id, { resolve }),
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.#deps.config.sendTimeoutMs);
    });
    try {
      const sent = await Promise.race([sock.sendMessage(jid, content, options), timeout]);
      if (sent === 'timeout') {
        return this.#sock === sock
          ? { code: 'timeout', message: 'WhatsApp did not take the message in time.' }
          : 'retry';
      }
      const ack = await Promise.race([acked, timeout]);
      if (ack === 'timeout') {
        return this.#sock === sock
          ? { code: 'timeout', message: 'WhatsApp did not acknowledge the message in time.' }
          : 'retry';
      }
      if (ack === null) {
        await this.#outbox.markAcked(request.message_id).then(
          () => {
            entry.acked = true;
          },
          (error: Error) =>
            this.#deps.logger.warn(
              { instance_id: this.instanceId, message_id: request.message_id, err: error.message },
              'could not mark the outbox entry acknowledged',
            ),
        );
        return null;
      }
      return ack === '429' || ack === '475'
        ? {
            code: 'rate_limited',
            message: `WhatsApp refused the message because of its rate limits (error ${ack}).`,
          }
        : { code: 'unknown', message: `WhatsApp refused the message (error ${ack}).` };
    } catch (error) {
      if (this.#sock !== sock) return 'retry';
      return { code: 'unknown', message: (error as Error).message };
    } finally {
      clearTimeout(timer);
      this.#ackWaiters.delete(entry.wa_message_id);
    }
  }

  async #resolveRecipient(sock: WASocket, msisdn: string): Promise<string | null> {
    const cached = this.#onWhatsAppCache.get(msisdn);
    if (cached && Date.now() - cached.at < 600_000) return cached.jid;
    const [result] = (await sock.onWhatsApp(`${msisdn}@s.whatsapp.net`)) ?? [];
    if (!result?.exists) return null;
    this.#onWhatsAppCache.set(msisdn, { jid: result.jid, at: Date.now() });
    return result.jid;
  }

  async #buildContent(request: SendRequest, _jid: string): Promise<AnyMessageContent> {
    const content = request.content;
    switch (content.type) {
      case 'text':
        return { text: content.text };
      case 'location':
        return {
          location: {
            degreesLatitude: content.latitude,
            degreesLongitude: content.longitude,
            ...(content.name ? { name: content.name } : {}),
            ...(content.address ? { address: content.address } : {}),
          },
        };
      case 'reaction':
        return {
          react: {
            text: content.emoji,
            key: {
              remoteJid: `${content.target.chat}@s.whatsapp.net`,
              fromMe: content.target.from_me,
              id: content.target.wa_message_id,
            },
          },
        };
      default: {
        const media = await this.#deps.media.fetch(content.url);
        const mimetype = content.mimetype ?? media.mimetype ?? undefined;
        const caption = content.caption ?? undefined;
        switch (content.type) {
          case 'image':
            return { image: media.data, caption, mimetype };
          case 'video':
            return { video: media.data, caption, mimetype };
          case 'audio':
            return { audio: media.data, mimetype: mimetype ?? 'audio/ogg; codecs=opus' };
          case 'document':
            return {
              document: media.data,
              mimetype: mimetype ?? 'application/octet-stream',
              fileName: content.filename ?? 'document',
              caption,
            };
        }
      }
    }
  }

  async #finish(entry: OutboxEntry, outcome: { code: SendErrorCode; message: string } | null): Promise<void> {
    const { request } = entry;
    // WhatsApp took it: sent, whatever happened after (e.g. the session logged out before the outcome was out)
    const failure = entry.acked ? null : outcome;
    // The outbox entry goes only once the stream has stored the outcome: a crash in between replays the send
    // under its fixed WhatsApp id (the phone shows it once) and emits the outcome again under the same event
    // id, which the stream drops as a repeat. Removing it earlier lost the outcome event to a SIGKILL.
    const at = Date.parse(entry.accepted_at) || Date.now();
    const options: EmitOptions = {
      id: seededId('event', at, `${this.#deps.instanceId}|${request.message_id}|outcome`),
      onPublished: () => {
        this.#outbox.remove(request.message_id).catch((error: Error) => {
          this.#deps.logger.warn(
            { instance_id: this.instanceId, message_id: request.message_id, err: error.message },
            'outbox removal failed',
          );
        });
      },
    };
    if (failure) {
      this.#deps.emit(
        'message.failed',
        { message_id: request.message_id, wa_message_id: entry.wa_message_id, error: failure },
        options,
      );
    } else {
      this.#deps.emit(
        'message.sent',
        { message_id: request.message_id, wa_message_id: entry.wa_message_id, to: request.to },
        options,
      );
    }
    this.#queue.shift();
  }

  async #failQueued(code: SendErrorCode, message: string): Promise<void> {
    if (this.#draining) return; // the drain loop fails them itself once it sees the session unlinked
    while (this.#queue.length > 0) await this.#finish(this.#queue[0]!, { code, message });
  }

  // Incoming ------------------------------------------------------------------------------------------------

  #onAck(node: BinaryNode): void {
    const id = node.attrs.id;
    if (!id) return;
    this.#ackWaiters.get(id)?.resolve(node.attrs.error ?? null);
  }

  #onMessageUpdates(updates: WAMessageUpdate[]): void {
    for (const { key, update } of updates) {
      if (!key.fromMe || !key.id || update.status === undefined || update.status === null) continue;
      const messageId = messageIdFromWa(key.id);
      if (!messageId) continue;
      // Baileys folds receipts that arrive close together, so "read" can come without "delivered":
      // a read message was delivered, and subscribers get both, in order, once each.
      const seen = this.#receiptsSeen.get(key.id) ?? 0;
      const level = update.status === 3 ? 1 : update.status === 4 || update.status === 5 ? 2 : 0;
      if (level >= 1 && seen < 1)
        this.#deps.emit('message.delivered', { message_id: messageId, wa_message_id: key.id });
      if (level >= 2 && seen < 2)
        this.#deps.emit('message.read', { message_id: messageId, wa_message_id: key.id });
      if (level > seen) {
        this.#receiptsSeen.delete(key.id);
        this.#receiptsSeen.set(key.id, level);
        if (this.#receiptsSeen.size > 10_000)
          this.#receiptsSeen.delete(this.#receiptsSeen.keys().next().value!);
      }
    }
  }

  /** Publishes what a previous run acked to WhatsApp but did not see on the stream (same event ids). */
  async #replayInbound(): Promise<void> {
    // before anything new from WhatsApp, so the stream keeps the order in which messages were acked
    const { entries, unreadable } = await this.#inbound.pending();
    for (const path of unreadable)
      this.#deps.logger.error(
        { instance_id: this.instanceId, path },
        'unreadable spooled inbound message set aside',
      );
    for (const entry of entries) {
      try {
        this.#onInbound(spooledMessage(entry));
      } catch (error) {
        this.#deps.logger.error(
          { instance_id: this.instanceId, wa_message_id: entry.attrs.id, err: (error as Error).message },
          'spooled inbound message could not be decoded; left in the spool',
        );
      }
    }
    if (entries.length > 0)
      this.#deps.logger.info(
        { instance_id: this.instanceId, count: entries.length },
        'replayed inbound messages acked before the last stop',
      );
    this.#inboundReplayed = true;
  }

  /** A 1:1 stanza from someone other than our own account (its other devices send protocol traffic). */
  #fromContact(stanza: BinaryNode): boolean {
    const from = jidDecode(stanza.attrs.from);
    if (!from || stanza.attrs.participant) return false;
    if (from.server !== 's.whatsapp.net' && from.server !== 'lid') return false;
    const me = this.#store?.state.creds.me;
    return from.user !== jidDecode(me?.id)?.user && from.user !== jidDecode(me?.lid)?.user;
  }

  #onInbound(message: WAMessage): void {
    const waMessageId = message.key.id;
    const release = () => {
      if (waMessageId)
        this.#inbound
          .remove(waMessageId)
          .catch((error: Error) =>
            this.#deps.logger.error(
              { instance_id: this.instanceId, err: error.message },
              'could not remove a published inbound message from the spool',
            ),
          );
    };
    const described = describeInbound(message);
    if (!described) {
      // decrypted but not a customer-visible message: nothing to publish. A stub (no content: a copy sent
      // again that no longer decrypts) must not release what the spool holds for the first copy.
      if (message.message) release();
      return;
    }
    // The same message (replayed from the spool, or sent again by WhatsApp) keeps its ids, so the stream
    // stores its event once and the message keeps one id.
    const seed = `${this.instanceId}|${described.from}|${described.wa_message_id}`;
    const at = Date.parse(described.timestamp);
    this.#deps.emit(
      'message.received',
      { message_id: seededId('message', at, `${seed}|message`), ...described },
      { id: seededId('event', at, `${seed}|event`), onPublished: release },
    );
  }
}
