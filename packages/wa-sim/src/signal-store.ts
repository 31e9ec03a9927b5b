// In-memory libsignal storage for one simulated phone (identity, signed prekey, one-time prekeys, sessions).
// Sessions are kept serialized, as a real store keeps them: libsignal changes the record it loaded while it
// works, and only what it stores afterwards may become the phone's state.
import { SessionRecord, type SignalStorage } from 'libsignal';
import { type KeyPair, type SignedPreKey, signalPublicKey } from './keys.ts';

/** libsignal's serialized SessionRecord (its typings call it bytes; it is a plain object). */
export interface StoredRecord {
  _sessions?: Record<string, { indexInfo?: { used?: number } }>;
  version?: unknown;
}

export class MemorySignalStore implements SignalStorage {
  readonly #identity: KeyPair;
  readonly #registrationId: number;
  readonly #signedPreKey: SignedPreKey;
  readonly #preKeys = new Map<number, KeyPair>();
  readonly #sessions = new Map<string, StoredRecord>();

  constructor(identity: KeyPair, registrationId: number, signedPreKey: SignedPreKey) {
    this.#identity = identity;
    this.#registrationId = registrationId;
    this.#signedPreKey = signedPreKey;
  }

  addPreKey(id: number, pair: KeyPair): void {
    this.#preKeys.set(id, pair);
  }

  async loadSession(id: string): Promise<SessionRecord | undefined> {
    const stored = this.#sessions.get(id);
    return stored ? SessionRecord.deserialize(structuredClone(stored) as never) : undefined;
  }

  async storeSession(id: string, session: SessionRecord): Promise<void> {
    this.#sessions.set(id, session.serialize() as unknown as StoredRecord);
  }

  /** The stored record, for a caller that must compare it with what libsignal stores next. */
  storedSession(id: string): StoredRecord | undefined {
    return this.#sessions.get(id);
  }

  replaceSession(id: string, record: StoredRecord): void {
    this.#sessions.set(id, record);
  }

  hasSession(id: string): boolean {
    const stored = this.#sessions.get(id);
    return stored ? SessionRecord.deserialize(stored as never).haveOpenSession() : false;
  }

  /** Trust on first use, as WhatsApp Web does. */
  isTrustedIdentity(): boolean {
    return true;
  }

  async loadPreKey(id: number | string): Promise<{ privKey: Buffer; pubKey: Buffer } | undefined> {
    const pair = this.#preKeys.get(Number(id));
    return pair ? { privKey: pair.private, pubKey: signalPublicKey(pair.public) } : undefined;
  }

  removePreKey(id: number): void {
    this.#preKeys.delete(id);
  }

  loadSignedPreKey(): { privKey: Buffer; pubKey: Buffer } {
    return { privKey: this.#signedPreKey.keyPair.private, pubKey: this.#signedPreKey.keyPair.public };
  }

  getOurRegistrationId(): number {
    return this.#registrationId;
  }

  getOurIdentity(): { privKey: Buffer; pubKey: Buffer } {
    return { privKey: this.#identity.private, pubKey: signalPublicKey(this.#identity.public) };
  }
}

/**
 * libsignal tries a message on each session of the record and advances a session's ratchet before checking
 * the MAC, so sessions that did not match are stored changed too (a wrong open session then sends on a
 * ratchet the peer cannot follow: "Bad MAC" there). Of `after`, keep only the session that decrypted (the
 * one libsignal stamps `used`) and new ones; the others stay as in `before`.
 */
export function keepDecryptingSession(before: StoredRecord, after: StoredRecord): StoredRecord {
  const sessions = { ...before._sessions };
  let changed = false;
  for (const [baseKey, entry] of Object.entries(after._sessions ?? {})) {
    const old = sessions[baseKey];
    if (!old || old.indexInfo?.used !== entry.indexInfo?.used) {
      sessions[baseKey] = entry;
      changed = true;
    }
  }
  return changed ? { ...after, _sessions: sessions } : after;
}
