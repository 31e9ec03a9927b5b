// startSimulator: the WebSocket endpoint Baileys connects to, the HTTP control API beside it and the HTTPS media host.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { createNoiseIdentity } from './cert-chain.ts';
import { Connection } from './connection.ts';
import { SimulatorControl } from './control.ts';
import { type ControlInfo, createControlHandler } from './control-http.ts';
import { type CoreOptions, SimulatorCore } from './core.ts';
import type { KeyPair } from './keys.ts';
import { createMediaTls } from './media-ca.ts';
import { type MediaHost, startMediaHost } from './media-host.ts';
import { connectionHandlers } from './session.ts';

export interface SimulatorOptions {
  /** Port of the WebSocket + control server; 0 (default) picks a free one. */
  port?: number;
  /** Interface to bind; default 127.0.0.1. */
  host?: string;
  qr?: {
    /** QR refs per registration (default 6). Baileys shows one QR per ref and closes with 408 after the last. */
    refs?: number;
  };
  /** Phones send delivered and read receipts by themselves (default true; per account via setAutoReceipts). */
  autoReceipts?: boolean;
  /** Delay before a phone's automatic delivered receipt (default 250 ms; see messaging.ts for why). */
  deliveredReceiptDelayMs?: number;
  /** Delay between automatic delivered and read receipts (default 250 ms). */
  readReceiptDelayMs?: number;
  /** Delay after the offline marker before the first-login history sync (default 100 ms). */
  historySyncDelayMs?: number;
  /** Serve media over HTTPS with a simulator CA (default true). */
  media?: boolean | { port?: number };
  /** Reuse a root key pair (e.g. to keep one trust configuration across restarts); default: a fresh one. */
  rootKeyPair?: KeyPair;
}

export interface Simulator extends SimulatorControl {
  /** Pass as Baileys' `waWebSocketUrl`. */
  readonly url: string;
  readonly controlUrl: string;
  /** The simulated phone page (chats, linked devices, QR scanning) in a browser. */
  readonly phoneUrl: string;
  /** The root public key Baileys must trust (WA_CERT_DETAILS.PUBLIC_KEY); see the trust hook. */
  readonly rootPublicKey: Buffer;
  /** PEM of the CA that signed the media host's certificate. */
  readonly mediaCaPem: string | undefined;
  readonly mediaHost: string | undefined;
  close(): Promise<void>;
}

function closeServer(server: Server | MediaHost['server']): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const bindHost = options.host ?? '127.0.0.1';
  const coreOptions: CoreOptions = {
    qrRefs: options.qr?.refs ?? 6,
    autoReceipts: options.autoReceipts ?? true,
    deliveredReceiptDelayMs: options.deliveredReceiptDelayMs ?? 250,
    readReceiptDelayMs: options.readReceiptDelayMs ?? 250,
    historySyncDelayMs: options.historySyncDelayMs ?? 100,
  };
  const core = new SimulatorCore(coreOptions, createNoiseIdentity(options.rootKeyPair));

  let mediaHost: MediaHost | undefined;
  let mediaCaPem: string | undefined;
  if (options.media !== false) {
    const tls = createMediaTls();
    const mediaPort = typeof options.media === 'object' ? options.media.port : undefined;
    mediaHost = await startMediaHost(core, tls, bindHost, mediaPort);
    mediaCaPem = tls.caPem;
    coreOptions.mediaHost = mediaHost.host;
  }

  const control = new SimulatorControl(core);
  const handlers = connectionHandlers(core);
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  // clients (fetch) reuse idle keep-alive connections; outlive their idle timeout so a reuse never meets a close
  const server = createServer({ keepAliveTimeout: 65_000 });
  server.on('upgrade', (req, socket, head) => {
    wss.handleUpgrade(req, socket, head, (ws) => {
      core.connections.add(new Connection(ws, core.identity, handlers));
    });
  });
  // a port that is taken rejects (instead of an unhandled 'error' event) and frees the media host again
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, bindHost, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch(async (error: unknown) => {
    if (mediaHost) await closeServer(mediaHost.server);
    throw error;
  });
  const { port } = server.address() as AddressInfo;
  const publicHost = bindHost === '0.0.0.0' || bindHost === '::' ? '127.0.0.1' : bindHost;
  const info: ControlInfo = {
    url: `ws://${publicHost}:${port}/ws/chat`,
    controlUrl: `http://${publicHost}:${port}/control`,
    phoneUrl: `http://${publicHost}:${port}/phone`,
    rootPublicKey: core.identity.root.public.toString('base64'),
    ...(mediaHost ? { mediaHost: mediaHost.host } : {}),
    ...(mediaCaPem ? { mediaCaPem } : {}),
  };
  const handleControl = createControlHandler(control, info);
  server.on('request', (req, res) => {
    void handleControl(req, res).then((handled) => {
      if (!handled)
        res
          .writeHead(404, { 'content-type': 'text/plain' })
          .end('wa-sim: WebSocket at /ws/chat, control at /control, phone page at /phone\n');
    });
  });

  const close = async () => {
    for (const connection of core.connections) connection.terminate();
    wss.close();
    server.closeAllConnections();
    await Promise.all([closeServer(server), mediaHost ? closeServer(mediaHost.server) : undefined]);
  };

  return Object.assign(control, {
    url: info.url,
    controlUrl: info.controlUrl,
    phoneUrl: info.phoneUrl,
    rootPublicKey: core.identity.root.public,
    mediaCaPem,
    mediaHost: mediaHost?.host,
    close,
  }) as Simulator;
}
