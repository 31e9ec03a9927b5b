// A simulated primary phone (device 0) of one account: its Signal identity, prekeys and sessions.
import { randomInt } from 'node:crypto';
import { keepDecryptingSession } from '@whatisup/libsignal-record';
import { ProtocolAddress, SessionBuilder, SessionCipher } from 'libsignal';
import { bundleToSession, type PreKeyBundle } from './bundle.ts';
import { generateKeyPair, generateSignedPreKey, type KeyPair, type SignedPreKey } from './keys.ts';
import { MemorySignalStore } from './signal-store.ts';

export type CipherType = 'pkmsg' | 'msg';

export class Phone {
  readonly identity: KeyPair;
  readonly registrationId: number;
  readonly signedPreKey: SignedPreKey;
  readonly #store: MemorySignalStore;
  #nextPreKeyId = 1;
  /** One Signal operation at a time per peer device: "no session yet, start one, encrypt" is one step. */
  readonly #lanes = new Map<string, Promise<unknown>>();

  constructor() {
    this.identity = generateKeyPair();
    this.registrationId = randomInt(1, 16380);
    this.signedPreKey = generateSignedPreKey(this.identity, 1);
    this.#store = new MemorySignalStore(this.identity, this.registrationId, this.signedPreKey);
  }

  /** A fresh bundle with a new one-time prekey, as the server would hand out for this phone. */
  takeBundle(): PreKeyBundle {
    const keyId = this.#nextPreKeyId++;
    const pair = generateKeyPair();
    this.#store.addPreKey(keyId, pair);
    return {
      registrationId: this.registrationId,
      identityKey: this.identity.public,
      signedPreKey: {
        keyId: this.signedPreKey.keyId,
        publicKey: this.signedPreKey.keyPair.public,
        signature: this.signedPreKey.signature,
      },
      preKey: { keyId, publicKey: pair.public },
    };
  }

  hasSessionWith(peer: string, device: number): boolean {
    return this.#store.hasSession(new ProtocolAddress(peer, device).toString());
  }

  /** Encrypts to a peer device, starting a session from its bundle when there is none yet. */
  async encrypt(
    peer: string,
    device: number,
    plaintext: Uint8Array,
    fetchBundle: () => PreKeyBundle | undefined,
  ): Promise<{ type: CipherType; ciphertext: Buffer }> {
    const address = new ProtocolAddress(peer, device);
    return this.#inLane(address.toString(), async () => {
      if (!this.#store.hasSession(address.toString())) {
        const bundle = fetchBundle();
        if (!bundle) throw new Error(`no prekey bundle for ${address.toString()}`);
        await new SessionBuilder(this.#store, address).initOutgoing(bundleToSession(bundle));
      }
      const { type, body } = await new SessionCipher(this.#store, address).encrypt(plaintext);
      return { type: type === 3 ? 'pkmsg' : 'msg', ciphertext: Buffer.from(body, 'binary') };
    });
  }

  async decrypt(peer: string, device: number, type: CipherType, ciphertext: Uint8Array): Promise<Buffer> {
    const address = new ProtocolAddress(peer, device);
    const id = address.toString();
    return this.#inLane(id, async () => {
      const cipher = new SessionCipher(this.#store, address);
      if (type === 'pkmsg') return cipher.decryptPreKeyWhisperMessage(ciphertext);
      const before = this.#store.storedSession(id);
      const plaintext = await cipher.decryptWhisperMessage(ciphertext);
      const after = this.#store.storedSession(id);
      if (before && after) this.#store.replaceSession(id, keepDecryptingSession(before, after));
      return plaintext;
    });
  }

  #inLane<T>(id: string, work: () => Promise<T>): Promise<T> {
    const run = (this.#lanes.get(id) ?? Promise.resolve()).then(work);
    const settled = run.catch(() => {});
    this.#lanes.set(id, settled);
    void settled.then(() => {
      if (this.#lanes.get(id) === settled) this.#lanes.delete(id);
    });
    return run;
  }
}
