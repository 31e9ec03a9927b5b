// The simulator's own noise certificate chain: a root key (what Baileys must trust) signs an intermediate, which signs the leaf.
import { Curve, proto } from '@whiskeysockets/baileys';
import { generateKeyPair, type KeyPair } from './keys.ts';

export interface NoiseIdentity {
  root: KeyPair;
  serverStatic: KeyPair;
  /** Encoded proto.CertChain sent as the server hello payload. */
  certChain: Buffer;
}

const ISSUER_SERIAL = 0;

export function createNoiseIdentity(root: KeyPair = generateKeyPair()): NoiseIdentity {
  const intermediate = generateKeyPair();
  const serverStatic = generateKeyPair();
  const now = Math.floor(Date.now() / 1000);
  const intermediateDetails = proto.CertChain.NoiseCertificate.Details.encode({
    serial: 1,
    issuerSerial: ISSUER_SERIAL,
    key: intermediate.public,
    notBefore: now - 60,
    notAfter: now + 365 * 24 * 3600,
  }).finish();
  const leafDetails = proto.CertChain.NoiseCertificate.Details.encode({
    serial: 2,
    issuerSerial: 1,
    key: serverStatic.public,
    notBefore: now - 60,
    notAfter: now + 30 * 24 * 3600,
  }).finish();
  const certChain = Buffer.from(
    proto.CertChain.encode({
      intermediate: {
        details: intermediateDetails,
        signature: Curve.sign(root.private, intermediateDetails),
      },
      leaf: { details: leafDetails, signature: Curve.sign(intermediate.private, leafDetails) },
    }).finish(),
  );
  return { root, serverStatic, certChain };
}
