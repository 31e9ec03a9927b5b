// Trusting a simulator in a Baileys process: its noise root key (WA_CERT_DETAILS.PUBLIC_KEY) and its media CA.
// No side effects on import; the start-up hook that reads the environment is trust.ts.
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import { WA_CERT_DETAILS } from '@whiskeysockets/baileys';

export interface TrustOptions {
  /** The simulator's root public key: 32 bytes, or their base64. */
  rootPublicKey: Uint8Array | string;
  /** PEM of the simulator's media CA, trusted for https and fetch in this process from now on. */
  mediaCaPem?: string;
  /**
   * The `WA_CERT_DETAILS` object of the Baileys instance that will open sockets, when it may not be the one this
   * package resolves (e.g. another copy in node_modules). Default: this package's Baileys.
   */
  certDetails?: { PUBLIC_KEY: Uint8Array };
}

export const ENV_ROOT_PUBLIC_KEY = 'WA_SIM_ROOT_PUBLIC_KEY';
export const ENV_CA_PEM = 'WA_SIM_CA_PEM';
export const ENV_CA_FILE = 'WA_SIM_CA_FILE';
export const ENV_ALLOW_PRODUCTION = 'WA_SIM_ALLOW_PRODUCTION';

const trustedCas = new Set<string>();

/** Overwrites the trusted noise root key in place (every holder of that Buffer sees it) and trusts the media CA. */
export function trustSimulator(options: TrustOptions): void {
  const key =
    typeof options.rootPublicKey === 'string'
      ? Buffer.from(options.rootPublicKey, 'base64')
      : Buffer.from(options.rootPublicKey);
  if (key.length !== 32) throw new Error(`wa-sim trust: root public key must be 32 bytes, got ${key.length}`);
  const target = options.certDetails ?? WA_CERT_DETAILS;
  if (target.PUBLIC_KEY.length !== 32)
    throw new Error('wa-sim trust: WA_CERT_DETAILS.PUBLIC_KEY is not 32 bytes');
  target.PUBLIC_KEY.set(key);
  if (options.mediaCaPem && !trustedCas.has(options.mediaCaPem)) {
    trustedCas.add(options.mediaCaPem);
    tls.setDefaultCACertificates([...tls.getCACertificates('default'), options.mediaCaPem]);
  }
}

/** Reads the trust configuration from the environment; undefined when the simulator is not configured. */
export function trustOptionsFromEnv(env: NodeJS.ProcessEnv): TrustOptions | undefined {
  const rootPublicKey = env[ENV_ROOT_PUBLIC_KEY];
  if (!rootPublicKey) return undefined;
  if (env.NODE_ENV === 'production' && env[ENV_ALLOW_PRODUCTION] !== 'true') {
    throw new Error(
      `wa-sim trust: refusing to trust a WhatsApp simulator with NODE_ENV=production (${ENV_ROOT_PUBLIC_KEY} is set). ` +
        `Unset ${ENV_ROOT_PUBLIC_KEY}, or set ${ENV_ALLOW_PRODUCTION}=true if this really is a simulator deployment.`,
    );
  }
  const caFile = env[ENV_CA_FILE];
  const mediaCaPem = env[ENV_CA_PEM] ?? (caFile ? readFileSync(caFile, 'utf8') : undefined);
  return { rootPublicKey, ...(mediaCaPem ? { mediaCaPem } : {}) };
}
