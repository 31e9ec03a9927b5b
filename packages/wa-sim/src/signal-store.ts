// In-memory libsignal storage for one simulated phone (identity, signed prekey, one-time prekeys, sessions).
import type { SessionRecord, SignalStorage } from 'libsignal';
import { type KeyPair, type SignedPreKey, signalPublicKey } from './keys.ts';

export class MemorySignalStore implements SignalStorage {
  readonly #identity: KeyPair;
  readonly #registrationId: number;
  readonly #signedPreKey: SignedPreKey;
  readonly #preKeys = new Map<number, KeyPair>();
  readonly #sessions = new Map<string, SessionRecord>();

  constructor(identity: KeyPair, registrationId: number, signedPreKey: SignedPreKey) {
    this.#identity = identity;
    this.#registrationId = registrationId;
    this.#signedPreKey = signedPreKey;
  }

  addPreKey(id: number, pair: KeyPair): void {
    this.#preKeys.set(id, pair);
  }

  async loadSession(id: string): Promise<SessionRecord | undefined> {
    return this.#sessions.get(id);
  }

  async storeSession(id: string, session: SessionRecord): Promise<void> {
    this.#sessions.set(id, session);
  }

  hasSession(id: string): boolean {
    return this.#sessions.get(id)?.haveOpenSession() ?? false;
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
