// media_conn answer: the upload/download host Baileys should use (our HTTPS media host).
import { randomBytes } from 'node:crypto';
import type { BinaryNode } from '@whiskeysockets/baileys';
import type { SimulatorCore } from './core.ts';

export const MEDIA_CONN_TTL_SECONDS = 300;

export function mediaConnNode(core: SimulatorCore): BinaryNode {
  const hosts: BinaryNode[] = core.options.mediaHost
    ? [{ tag: 'host', attrs: { hostname: core.options.mediaHost, maxContentLengthBytes: '104857600' } }]
    : [];
  return {
    tag: 'media_conn',
    attrs: {
      auth: core.mediaAuth,
      ttl: String(MEDIA_CONN_TTL_SECONDS),
      auth_ttl: '21600',
      max_buckets: '12',
    },
    content: hosts,
  };
}

export function newMediaAuth(): string {
  return randomBytes(24).toString('base64url');
}
