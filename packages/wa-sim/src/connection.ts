// One client WebSocket: frame decoding, the noise handshake, then encrypted binary nodes in both directions.
import { type BinaryNode, decodeBinaryNode, encodeBinaryNode, type proto } from '@whiskeysockets/baileys';
import type { WebSocket } from 'ws';
import type { NoiseIdentity } from './cert-chain.ts';
import { encodeFrame, FrameDecoder } from './frames.ts';
import { NoiseResponder, type NoiseTransport } from './noise.ts';

export interface ConnectionHandlers {
  /** The handshake finished: the client's static key and its login or registration payload. */
  onAuthenticated(connection: Connection, clientStaticKey: Buffer, payload: proto.ClientPayload): void;
  onNode(connection: Connection, node: BinaryNode): void;
  onClose(connection: Connection): void;
}

let connectionCounter = 0;

export class Connection {
  readonly id = ++connectionCounter;
  readonly #ws: WebSocket;
  readonly #identity: NoiseIdentity;
  readonly #handlers: ConnectionHandlers;
  readonly #decoder = new FrameDecoder();
  #noise: NoiseResponder | undefined;
  #transport: NoiseTransport | undefined;
  /** Frames are decoded asynchronously (inflate); this chain keeps them in arrival order. */
  #inbound: Promise<void> = Promise.resolve();
  #closed = false;
  /** Set once the connection has logged in as a linked device, or started a registration. */
  context: unknown;

  constructor(ws: WebSocket, identity: NoiseIdentity, handlers: ConnectionHandlers) {
    this.#ws = ws;
    this.#identity = identity;
    this.#handlers = handlers;
    ws.on('message', (data: Buffer) => this.#onData(data));
    ws.on('close', () => this.#onClosed());
    ws.on('error', () => this.#onClosed());
  }

  get closed(): boolean {
    return this.#closed;
  }

  send(node: BinaryNode): void {
    if (this.#closed || !this.#transport) return;
    this.#ws.send(encodeFrame(this.#transport.encrypt(encodeBinaryNode(node))));
  }

  /** Closes the socket after flushing what was sent (a clean server-side close). */
  end(): void {
    if (this.#closed) return;
    this.#ws.close();
    this.#onClosed();
  }

  /** Drops the TCP connection without a close handshake. */
  terminate(): void {
    if (this.#closed) return;
    this.#ws.terminate();
    this.#onClosed();
  }

  #onClosed(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#handlers.onClose(this);
  }

  #onData(data: Buffer): void {
    let frames: Buffer[];
    try {
      frames = this.#decoder.push(data);
    } catch {
      this.terminate();
      return;
    }
    for (const frame of frames) {
      this.#inbound = this.#inbound.then(() => this.#onFrame(frame)).catch(() => this.terminate());
    }
  }

  async #onFrame(frame: Buffer): Promise<void> {
    if (this.#closed) return;
    if (this.#transport) {
      const node = await decodeBinaryNode(this.#transport.decrypt(frame));
      this.#handlers.onNode(this, node);
      return;
    }
    if (!this.#noise) {
      this.#noise = new NoiseResponder(this.#decoder.intro ?? Buffer.alloc(0));
      const hello = this.#noise.serverHello(frame, this.#identity.serverStatic, this.#identity.certChain);
      this.#ws.send(encodeFrame(hello));
      return;
    }
    const { clientStaticKey, payload, transport } = this.#noise.clientFinish(frame);
    this.#transport = transport;
    this.#noise = undefined;
    this.#handlers.onAuthenticated(this, clientStaticKey, payload);
  }
}
