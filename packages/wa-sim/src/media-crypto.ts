// WhatsApp media encryption: HKDF-expanded media key → AES-256-CBC blob with a truncated HMAC-SHA256 tag.
import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';

export type MediaKind = 'image' | 'video' | 'audio' | 'document' | 'sticker';

const INFO: Record<MediaKind, string> = {
  image: 'WhatsApp Image Keys',
  sticker: 'WhatsApp Image Keys',
  video: 'WhatsApp Video Keys',
  audio: 'WhatsApp Audio Keys',
  document: 'WhatsApp Document Keys',
};
const MAC_LENGTH = 10;

function expand(mediaKey: Uint8Array, kind: MediaKind) {
  const keys = Buffer.from(hkdfSync('sha256', mediaKey, Buffer.alloc(0), INFO[kind], 112));
  return { iv: keys.subarray(0, 16), cipherKey: keys.subarray(16, 48), macKey: keys.subarray(48, 80) };
}

export interface EncryptedMedia {
  mediaKey: Buffer;
  blob: Buffer;
  fileSha256: Buffer;
  fileEncSha256: Buffer;
}

export function encryptMedia(plaintext: Buffer, kind: MediaKind, mediaKey = randomBytes(32)): EncryptedMedia {
  const { iv, cipherKey, macKey } = expand(mediaKey, kind);
  const cipher = createCipheriv('aes-256-cbc', cipherKey, iv);
  const encrypted = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const mac = createHmac('sha256', macKey).update(iv).update(encrypted).digest().subarray(0, MAC_LENGTH);
  const blob = Buffer.concat([encrypted, mac]);
  return {
    mediaKey,
    blob,
    fileSha256: createHash('sha256').update(plaintext).digest(),
    fileEncSha256: createHash('sha256').update(blob).digest(),
  };
}

/** Verifies the MAC and decrypts; throws on a tampered or mis-keyed blob. */
export function decryptMedia(blob: Buffer, mediaKey: Uint8Array, kind: MediaKind): Buffer {
  const { iv, cipherKey, macKey } = expand(mediaKey, kind);
  const encrypted = blob.subarray(0, blob.length - MAC_LENGTH);
  const mac = createHmac('sha256', macKey).update(iv).update(encrypted).digest().subarray(0, MAC_LENGTH);
  if (!mac.equals(blob.subarray(blob.length - MAC_LENGTH))) throw new Error('media MAC mismatch');
  const decipher = createDecipheriv('aes-256-cbc', cipherKey, iv);
  return Buffer.concat([decipher.update(encrypted), decipher.final()]);
}
