// Noise XX responder for the WhatsApp Web handshake, plus the transport cipher that follows it.
import { createCipheriv, createDecipheriv, createHash, hkdfSync } from 'node:crypto';
import { Curve, proto } from '@whiskeysockets/baileys';
import { generateKeyPair, type KeyPair } from './keys.ts';

const NOISE_MODE = Buffer.from('Noise_XX_25519_AESGCM_SHA256\0\0\0\0');
const EMPTY = Buffer.alloc(0);
const TAG_LENGTH = 16;

function sha256(data: Buffer): Buffer {
  return createHash('sha256').update(data).digest();
}

function ivFor(counter: number): Buffer {
  const iv = Buffer.alloc(12);
  iv.writeUInt32BE(counter, 8);
  return iv;
}

function gcmEncrypt(plaintext: Uint8Array, key: Buffer, iv: Buffer, aad: Buffer): Buffer {
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad);
  return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

function gcmDecrypt(ciphertext: Uint8Array, key: Buffer, iv: Buffer, aad: Buffer): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAAD(aad);
  decipher.setAuthTag(ciphertext.subarray(ciphertext.length - TAG_LENGTH));
  return Buffer.concat([
    decipher.update(ciphertext.subarray(0, ciphertext.length - TAG_LENGTH)),
    decipher.final(),
  ]);
}

function split(salt: Buffer, input: Uint8Array): [Buffer, Buffer] {
  const out = Buffer.from(hkdfSync('sha256', input, salt, EMPTY, 64));
  return [out.subarray(0, 32), out.subarray(32)];
}

/** Keys for the established session: the client writes with the first half of the final split, we with the second. */
export class NoiseTransport {
  readonly #readKey: Buffer;
  readonly #writeKey: Buffer;
  #readCounter = 0;
  #writeCounter = 0;

  constructor(readKey: Buffer, writeKey: Buffer) {
    this.#readKey = readKey;
    this.#writeKey = writeKey;
  }

  encrypt(plaintext: Uint8Array): Buffer {
    return gcmEncrypt(plaintext, this.#writeKey, ivFor(this.#writeCounter++), EMPTY);
  }

  decrypt(ciphertext: Uint8Array): Buffer {
    return gcmDecrypt(ciphertext, this.#readKey, ivFor(this.#readCounter++), EMPTY);
  }
}

export interface ClientFinish {
  clientStaticKey: Buffer;
  payload: proto.ClientPayload;
}

/**
 * Server side of Noise_XX: one symmetric state whose counter is shared by both directions during the
 * handshake, exactly mirroring the client so that every mixed hash matches.
 */
export class NoiseResponder {
  #hash: Buffer;
  #salt: Buffer;
  #key: Buffer;
  #counter = 0;
  readonly #ephemeral: KeyPair;
  #clientEphemeral: Buffer = EMPTY;

  constructor(introHeader: Buffer) {
    this.#hash = NOISE_MODE;
    this.#salt = NOISE_MODE;
    this.#key = NOISE_MODE;
    this.#ephemeral = generateKeyPair();
    this.#authenticate(introHeader);
  }

  #authenticate(data: Uint8Array): void {
    this.#hash = sha256(Buffer.concat([this.#hash, data]));
  }

  #mixIntoKey(data: Uint8Array): void {
    const [salt, key] = split(this.#salt, data);
    this.#salt = salt;
    this.#key = key;
    this.#counter = 0;
  }

  #encrypt(plaintext: Uint8Array): Buffer {
    const result = gcmEncrypt(plaintext, this.#key, ivFor(this.#counter++), this.#hash);
    this.#authenticate(result);
    return result;
  }

  #decrypt(ciphertext: Uint8Array): Buffer {
    const result = gcmDecrypt(ciphertext, this.#key, ivFor(this.#counter++), this.#hash);
    this.#authenticate(ciphertext);
    return result;
  }

  /** Consumes the client hello and returns the encoded server hello carrying our static key and cert chain. */
  serverHello(clientHelloFrame: Uint8Array, serverStatic: KeyPair, certChain: Uint8Array): Buffer {
    const hello = proto.HandshakeMessage.decode(clientHelloFrame);
    const clientEphemeral = hello.clientHello?.ephemeral;
    if (clientEphemeral?.length !== 32) {
      throw new Error('client hello without a 32-byte ephemeral key');
    }
    this.#clientEphemeral = Buffer.from(clientEphemeral);
    this.#authenticate(this.#clientEphemeral);
    this.#authenticate(this.#ephemeral.public);
    this.#mixIntoKey(Curve.sharedKey(this.#ephemeral.private, this.#clientEphemeral));
    const staticEnc = this.#encrypt(serverStatic.public);
    this.#mixIntoKey(Curve.sharedKey(serverStatic.private, this.#clientEphemeral));
    const payloadEnc = this.#encrypt(certChain);
    return Buffer.from(
      proto.HandshakeMessage.encode({
        serverHello: { ephemeral: this.#ephemeral.public, static: staticEnc, payload: payloadEnc },
      }).finish(),
    );
  }

  /** Consumes the client finish; returns the client's static (noise) key, its login/registration payload and the transport. */
  clientFinish(frame: Uint8Array): ClientFinish & { transport: NoiseTransport } {
    const finish = proto.HandshakeMessage.decode(frame).clientFinish;
    if (!finish?.static || !finish.payload) {
      throw new Error('client finish without static key or payload');
    }
    const clientStaticKey = this.#decrypt(finish.static);
    this.#mixIntoKey(Curve.sharedKey(this.#ephemeral.private, clientStaticKey));
    const payload = proto.ClientPayload.decode(this.#decrypt(finish.payload));
    const [clientWrite, serverWrite] = split(this.#salt, EMPTY);
    return { clientStaticKey, payload, transport: new NoiseTransport(clientWrite, serverWrite) };
  }
}
