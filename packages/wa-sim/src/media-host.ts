// HTTPS media host: Baileys uploads encrypted blobs here (media_conn) and downloads them from here by direct path.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { SimulatorCore } from './core.ts';
import type { MediaTls } from './media-ca.ts';

const MAX_UPLOAD_BYTES = 64 * 1024 * 1024;
const UPLOAD_PATH = /^\/mms\/([a-z-]+)\/([A-Za-z0-9_-]+)$/;

export interface MediaHost {
  server: Server;
  /** `127.0.0.1:port`, as advertised in media_conn. */
  host: string;
}

/** Stores a blob under a fresh direct path and returns that path. */
export function storeBlob(
  core: SimulatorCore,
  kind: string,
  blob: Buffer,
  token = randomBytes(16).toString('base64url'),
): string {
  const directPath = `/v/sim/${kind}/${token}`;
  core.mediaBlobs.set(directPath, blob);
  return directPath;
}

export async function startMediaHost(
  core: SimulatorCore,
  tls: MediaTls,
  bindHost: string,
  port = 0,
): Promise<MediaHost> {
  const server = createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://media.invalid');
    if (req.method === 'GET' || req.method === 'HEAD') {
      const blob = core.mediaBlobs.get(url.pathname);
      if (!blob) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': blob.length });
      res.end(req.method === 'HEAD' ? undefined : blob);
      return;
    }
    const upload = UPLOAD_PATH.exec(url.pathname);
    if (req.method !== 'POST' || !upload) {
      res.writeHead(404).end();
      return;
    }
    if (url.searchParams.get('auth') !== core.mediaAuth) {
      res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'bad auth' }));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_UPLOAD_BYTES) req.destroy();
      else chunks.push(chunk);
    });
    req.on('end', () => {
      const kind = upload[1]!;
      const directPath = storeBlob(core, kind, Buffer.concat(chunks), upload[2]);
      const host = req.headers.host ?? '127.0.0.1';
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ url: `https://${host}${directPath}`, direct_path: directPath }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, bindHost, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return { server, host: `127.0.0.1:${address.port}` };
}
