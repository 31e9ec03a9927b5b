// A throwaway certificate authority and a 127.0.0.1 server certificate for the simulator's HTTPS media host.
import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import {
  bitString,
  boolean,
  explicit,
  implicit,
  integer,
  octetString,
  oid,
  sequence,
  set,
  utcTime,
  utf8String,
} from './der.ts';

export interface MediaTls {
  caPem: string;
  certPem: string;
  keyPem: string;
}

const DAY_MS = 24 * 3600 * 1000;
const ECDSA_SHA256 = sequence(oid('1.2.840.10045.4.3.2'));

function name(commonName: string): Buffer {
  return sequence(set(sequence(oid('2.5.4.3'), utf8String(commonName))));
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return sequence(oid(id), ...(critical ? [boolean(true)] : []), octetString(value));
}

/** SHA-1 of the subjectPublicKey bits, the usual key identifier. */
function keyId(publicKey: KeyObject): Buffer {
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha1')
    .update(spki.subarray(spki.length - 65))
    .digest();
}

function certificate(options: {
  subject: string;
  issuer: string;
  publicKey: KeyObject;
  signingKey: KeyObject;
  issuerKeyId: Buffer;
  extensions: Buffer[];
}): string {
  const now = Date.now();
  const tbs = sequence(
    explicit(0, integer(2)),
    integer(randomBytes(12)),
    ECDSA_SHA256,
    name(options.issuer),
    sequence(utcTime(new Date(now - DAY_MS)), utcTime(new Date(now + 365 * DAY_MS))),
    name(options.subject),
    options.publicKey.export({ type: 'spki', format: 'der' }),
    explicit(
      3,
      sequence(
        ...options.extensions,
        extension('2.5.29.14', false, octetString(keyId(options.publicKey))),
        extension('2.5.29.35', false, sequence(implicit(0, options.issuerKeyId))),
      ),
    ),
  );
  const der = sequence(tbs, ECDSA_SHA256, bitString(sign('sha256', tbs, options.signingKey)));
  const body = der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .trimEnd();
  return `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`;
}

export function createMediaTls(): MediaTls {
  const ca = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const leaf = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const caKeyId = keyId(ca.publicKey);
  const caPem = certificate({
    subject: 'wa-sim media CA',
    issuer: 'wa-sim media CA',
    publicKey: ca.publicKey,
    signingKey: ca.privateKey,
    issuerKeyId: caKeyId,
    extensions: [
      extension('2.5.29.19', true, sequence(boolean(true), integer(0))),
      // keyCertSign | cRLSign
      extension('2.5.29.15', true, bitString(Buffer.from([0x06]), 1)),
    ],
  });
  const certPem = certificate({
    subject: '127.0.0.1',
    issuer: 'wa-sim media CA',
    publicKey: leaf.publicKey,
    signingKey: ca.privateKey,
    issuerKeyId: caKeyId,
    extensions: [
      extension('2.5.29.19', true, sequence()),
      // digitalSignature
      extension('2.5.29.15', true, bitString(Buffer.from([0x80]), 7)),
      // serverAuth
      extension('2.5.29.37', false, sequence(oid('1.3.6.1.5.5.7.3.1'))),
      extension(
        '2.5.29.17',
        false,
        sequence(implicit(7, Buffer.from([127, 0, 0, 1])), implicit(2, Buffer.from('localhost'))),
      ),
    ],
  });
  return { caPem, certPem, keyPem: leaf.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string };
}
