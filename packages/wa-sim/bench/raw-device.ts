// A minimal linked-device client for load tests, built from Baileys' own handshake pieces (its noise handler,
// registration/login payloads and pair-success handling) but none of its socket machinery, so one process can
// hold hundreds of devices. It pairs through the real QR flow, logs in, and sends/receives opaque message stanzas.
import {
  type AuthenticationCreds,
  type BinaryNode,
  Curve,
  configureSuccessfulPairing,
  DEFAULT_CONNECTION_CONFIG,
  encodeBinaryNode,
  generateLoginNode,
  generateRegistrationNode,
  getBinaryNodeChild,
  getBinaryNodeChildren,
  initAuthCreds,
  makeNoiseHandler,
  NOISE_WA_HEADER,
  proto,
} from '@whiskeysockets/baileys';
import pino from 'pino';
import WebSocket from 'ws';

const logger = pino({ level: 'silent' });
const config = { ...DEFAULT_CONNECTION_CONFIG, logger };

export interface RawDeviceHandlers {
  onNode?(node: BinaryNode): void;
}

/** One WebSocket session (registration or login) with Baileys' noise handler on the client side. */
class RawSession {
  readonly #ws: WebSocket;
  readonly #noise: ReturnType<typeof makeNoiseHandler>;
  readonly closed: Promise<void>;

  constructor(
    url: string,
    creds: AuthenticationCreds,
    onNode: (session: RawSession, node: BinaryNode) => void,
  ) {
    const ephemeral = Curve.generateKeyPair();
    this.#noise = makeNoiseHandler({ keyPair: ephemeral, NOISE_HEADER: NOISE_WA_HEADER, logger });
    this.#ws = new WebSocket(url, { perMessageDeflate: false });
    this.closed = new Promise((resolve) => this.#ws.on('close', () => resolve()));
    this.#ws.on('error', () => undefined);
    let handshakeDone = false;
    this.#ws.on('open', () => {
      const hello = proto.HandshakeMessage.encode({ clientHello: { ephemeral: ephemeral.public } }).finish();
      this.#ws.send(this.#noise.encodeFrame(hello));
    });
    this.#ws.on('message', (data: Buffer) => {
      void this.#noise.decodeFrame(data, (frame) => {
        if (!handshakeDone && frame instanceof Uint8Array) {
          handshakeDone = true;
          void this.#finishHandshake(frame, creds);
          return;
        }
        if (!(frame instanceof Uint8Array)) onNode(this, frame);
      });
    });
  }

  async #finishHandshake(frame: Uint8Array, creds: AuthenticationCreds): Promise<void> {
    const keyEnc = this.#noise.processHandshake(proto.HandshakeMessage.decode(frame), creds.noiseKey);
    const payload = creds.me
      ? generateLoginNode(creds.me.id, config)
      : generateRegistrationNode(creds, config);
    const payloadEnc = this.#noise.encrypt(proto.ClientPayload.encode(payload).finish());
    this.#ws.send(
      this.#noise.encodeFrame(
        proto.HandshakeMessage.encode({ clientFinish: { static: keyEnc, payload: payloadEnc } }).finish(),
      ),
    );
    await this.#noise.finishInit();
  }

  send(node: BinaryNode): void {
    if (this.#ws.readyState === WebSocket.OPEN)
      this.#ws.send(this.#noise.encodeFrame(encodeBinaryNode(node)));
  }

  close(): void {
    this.#ws.close();
  }
}

export class RawDevice {
  readonly msisdn: string;
  readonly creds = initAuthCreds();
  #session: RawSession | undefined;
  #pingTimer: NodeJS.Timeout | undefined;
  #tag = 0;

  constructor(msisdn: string) {
    this.msisdn = msisdn;
  }

  get jid(): string {
    return this.creds.me!.id;
  }

  /** Registers by QR: the simulated phone "scans" through the control API, pair-success is signed, 515 ends it. */
  async pair(url: string, scan: (qr: string) => Promise<void>): Promise<void> {
    const creds = this.creds;
    let paired!: () => void;
    const done = new Promise<void>((resolve) => (paired = resolve));
    const session = new RawSession(url, creds, (s, node) => {
      const pairDevice = getBinaryNodeChild(node, 'pair-device');
      if (node.tag === 'iq' && pairDevice) {
        s.send({ tag: 'iq', attrs: { to: 's.whatsapp.net', type: 'result', id: node.attrs.id! } });
        const ref = Buffer.from(
          getBinaryNodeChildren(pairDevice, 'ref')[0]!.content as Uint8Array,
        ).toString();
        const qr = [
          ref,
          Buffer.from(creds.noiseKey.public).toString('base64'),
          Buffer.from(creds.signedIdentityKey.public).toString('base64'),
          creds.advSecretKey,
        ].join(',');
        void scan(qr);
      } else if (node.tag === 'iq' && getBinaryNodeChild(node, 'pair-success')) {
        const { creds: update, reply } = configureSuccessfulPairing(node, creds);
        Object.assign(creds, update);
        s.send(reply);
      } else if (node.tag === 'stream:error' && node.attrs.code === '515') {
        paired();
      }
    });
    await done;
    session.close();
    await session.closed;
  }

  /** Logs in with the saved creds; resolves at the offline marker. Pings every 20 s like a keepalive. */
  async login(url: string, handlers: RawDeviceHandlers = {}): Promise<void> {
    let online!: () => void;
    const ready = new Promise<void>((resolve) => (online = resolve));
    this.#session = new RawSession(url, this.creds, (_session, node) => {
      if (node.tag === 'ib' && getBinaryNodeChild(node, 'offline')) online();
      handlers.onNode?.(node);
    });
    await ready;
    this.#pingTimer = setInterval(() => this.#ping(), 20_000);
  }

  #ping(): void {
    this.#session?.send({
      tag: 'iq',
      attrs: { id: `ping-${this.#tag++}`, to: 's.whatsapp.net', type: 'get', xmlns: 'w:p' },
      content: [{ tag: 'ping', attrs: {} }],
    });
  }

  /** Sends an opaque (not Signal-encrypted) 1:1 stanza to one linked device of another account; the server only relays it. */
  sendOpaque(toUser: string, toDeviceJid: string, id: string, body: Buffer): void {
    this.#session?.send({
      tag: 'message',
      attrs: { id, to: `${toUser}@s.whatsapp.net`, type: 'text' },
      content: [
        {
          tag: 'participants',
          attrs: {},
          content: [
            {
              tag: 'to',
              attrs: { jid: toDeviceJid },
              content: [{ tag: 'enc', attrs: { v: '2', type: 'msg' }, content: body }],
            },
          ],
        },
      ],
    });
  }

  close(): void {
    clearInterval(this.#pingTimer);
    this.#session?.close();
  }
}
