// In-memory libsignal storage for one simulated phone (identity, signed prekey, one-time prekeys, sessions).
// Sessions are kept serialized, as a real store keeps them: libsignal changes the record it loaded while it
// works, and only what it stores afterwards may become the phone's state.
import type { StoredRecord } from '@whatisup/libsignal-record';
import { SessionRecord, type SignalStorage } from 'libsignal';
import { type KeyPair, type SignedPreKey, signalPublicKey } from './keys.ts';

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
