// The control API as JSON over HTTP under /control (for other processes and the demo page). Routes are listed in README.
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimulatorControl } from './control.ts';
import type { KickKind } from './kicks.ts';
import type { PhoneMessage } from './model.ts';

const MAX_BODY = 32 * 1024 * 1024;
const MAX_WAIT_MS = 30_000;
/** The demo web page may be served from another origin; the control API is for local testing only. */
const CORS_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, PATCH, OPTIONS',
  'access-control-allow-headers': 'content-type',
};
const KICKS: KickKind[] = ['replaced', 'device_removed', 'logged_out', 'drop'];
const MAX_PUSH_NAME = 100;
/** The simulated phone page (phone.html: inline CSS and script, no external assets), served at /phone. */
const PHONE_PAGE = readFileSync(new URL('./phone.html', import.meta.url));
const PHONE_PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'content-security-policy':
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
};

export interface ControlInfo {
  url: string;
  controlUrl: string;
  phoneUrl: string;
  rootPublicKey: string;
  mediaHost?: string;
  mediaCaPem?: string;
}

class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, 'body too large');
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'body is not JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new HttpError(400, 'body: expected a JSON object');
  return body as Record<string, unknown>;
}

function str(body: Record<string, unknown>, field: string): string {
  const value = body[field];
  if (typeof value !== 'string' || value === '')
    throw new HttpError(400, `${field}: expected a non-empty string`);
  return value;
}

function messageJson(message: PhoneMessage) {
  return {
    ...message,
    ...(message.media ? { media: { ...message.media, data: message.media.data.toString('base64') } } : {}),
  };
}

type Route = (params: string[], body: Record<string, unknown>, query: URLSearchParams) => unknown;

function routes(control: SimulatorControl, info: ControlInfo): Array<[string, RegExp, Route]> {
  return [
    ['GET', /^\/control$/, () => info],
    ['GET', /^\/control\/stats$/, () => control.stats()],
    [
      'GET',
      /^\/control\/events$/,
      (_p, _b, query) =>
        control.events.next(
          Number(query.get('since') ?? 0),
          Math.min(Number(query.get('waitMs') ?? 0), MAX_WAIT_MS),
        ),
    ],
    ['GET', /^\/control\/accounts$/, () => control.accounts()],
    [
      'POST',
      /^\/control\/accounts$/,
      (_p, body) => {
        const msisdn = str(body, 'msisdn');
        if (body.pushName !== undefined && typeof body.pushName !== 'string')
          throw new HttpError(400, 'pushName: expected a string');
        if (typeof body.pushName === 'string' && body.pushName.length > MAX_PUSH_NAME)
          throw new HttpError(400, `pushName: at most ${MAX_PUSH_NAME} characters`);
        return control.createAccount(msisdn, body.pushName ? { pushName: body.pushName } : {});
      },
    ],
    ['GET', /^\/control\/qr-codes$/, () => control.qrCodes()],
    [
      'POST',
      /^\/control\/qr-codes$/,
      (_p, body) => {
        const qr = str(body, 'qr');
        if (
          body.expiresAt !== undefined &&
          (typeof body.expiresAt !== 'number' || !Number.isInteger(body.expiresAt))
        )
          throw new HttpError(400, 'expiresAt: expected epoch milliseconds (an integer)');
        return control.showQr(qr, body.expiresAt === undefined ? {} : { expiresAt: body.expiresAt });
      },
    ],
    ['GET', /^\/control\/accounts\/(\d+)$/, ([msisdn]) => control.account(msisdn!)],
    [
      'PATCH',
      /^\/control\/accounts\/(\d+)$/,
      ([msisdn], body) => {
        if (typeof body.autoReceipts === 'boolean') control.setAutoReceipts(msisdn!, body.autoReceipts);
        if (typeof body.rateLimited === 'boolean') control.setRateLimited(msisdn!, body.rateLimited);
        return control.account(msisdn!);
      },
    ],
    ['GET', /^\/control\/accounts\/(\d+)\/devices$/, ([msisdn]) => control.devices(msisdn!)],
    [
      'POST',
      /^\/control\/accounts\/(\d+)\/scan-qr$/,
      ([msisdn], body) => control.scanQr(msisdn!, str(body, 'qr')),
    ],
    [
      'POST',
      /^\/control\/accounts\/(\d+)\/pairing-code$/,
      ([msisdn], body) => control.enterPairingCode(msisdn!, str(body, 'code')),
    ],
    [
      'POST',
      /^\/control\/accounts\/(\d+)\/messages$/,
      ([msisdn], body) => {
        const to = str(body, 'to');
        if (body.image !== undefined || body.document !== undefined) {
          const kind = body.image !== undefined ? 'image' : 'document';
          const data = Buffer.from(str(body, kind), 'base64');
          return control.sendMedia(msisdn!, to, kind, {
            data,
            mimetype:
              typeof body.mimetype === 'string'
                ? body.mimetype
                : kind === 'image'
                  ? 'image/jpeg'
                  : 'application/octet-stream',
            ...(typeof body.caption === 'string' ? { caption: body.caption } : {}),
            ...(typeof body.fileName === 'string' ? { fileName: body.fileName } : {}),
          });
        }
        return control.sendText(msisdn!, to, str(body, 'text'));
      },
    ],
    ['GET', /^\/control\/accounts\/(\d+)\/sent$/, ([msisdn]) => control.sentMessages(msisdn!)],
    ['GET', /^\/control\/accounts\/(\d+)\/inbox$/, ([msisdn]) => control.inbox(msisdn!).map(messageJson)],
    [
      'GET',
      /^\/control\/accounts\/(\d+)\/sent\/([^/]+)$/,
      ([msisdn, id]) => {
        const sent = control.sentStatus(msisdn!, id!);
        if (!sent) throw new HttpError(404, 'no such message');
        return sent;
      },
    ],
    [
      'POST',
      /^\/control\/accounts\/(\d+)\/receipts$/,
      ([msisdn], body) => {
        const receipt = str(body, 'receipt');
        if (receipt !== 'delivered' && receipt !== 'read')
          throw new HttpError(400, 'receipt: expected delivered or read');
        control.sendReceipt(msisdn!, str(body, 'messageId'), receipt);
        return { ok: true };
      },
    ],
    [
      'POST',
      /^\/control\/accounts\/(\d+)\/devices\/(\d+)\/kick$/,
      ([msisdn, deviceId], body) => {
        const kind = str(body, 'kind') as KickKind;
        if (!KICKS.includes(kind)) throw new HttpError(400, `kind: expected one of ${KICKS.join(', ')}`);
        control.kick(msisdn!, Number(deviceId), kind);
        return { ok: true };
      },
    ],
    [
      'POST',
      /^\/control\/refuse-logins$/,
      (_p, body) => {
        const ms = body.ms;
        if (typeof ms !== 'number' || ms < 0) throw new HttpError(400, 'ms: expected a number ≥ 0');
        control.refuseLogins(ms);
        return { ok: true };
      },
    ],
    ['POST', /^\/control\/drop-all$/, () => ({ dropped: control.dropAll() })],
    [
      'POST',
      /^\/control\/files$/,
      (_p, body) => ({ url: control.hostFile(Buffer.from(str(body, 'data'), 'base64')) }),
    ],
  ];
}

/** Handles a request under /control and the phone page at /phone; returns false when the path is not ours. */
export function createControlHandler(control: SimulatorControl, info: ControlInfo) {
  const table = routes(control, info);
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const url = new URL(req.url ?? '/', 'http://control.invalid');
    if (url.pathname === '/phone' || url.pathname === '/phone/') {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { 'content-type': 'text/plain', allow: 'GET, HEAD' }).end('method not allowed\n');
        return true;
      }
      res.writeHead(200, PHONE_PAGE_HEADERS).end(req.method === 'HEAD' ? undefined : PHONE_PAGE);
      return true;
    }
    if (!url.pathname.startsWith('/control')) return false;
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', ...CORS_HEADERS });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'OPTIONS') {
      res.writeHead(204, CORS_HEADERS).end();
      return true;
    }
    const pathMatches = table.filter(([, pattern]) => pattern.test(url.pathname));
    const route = pathMatches.find(([method]) => method === req.method);
    if (!route) {
      send(pathMatches.length ? 405 : 404, {
        error: pathMatches.length ? 'method not allowed' : 'not found',
      });
      return true;
    }
    try {
      const params = route[1].exec(url.pathname)!.slice(1);
      const body = req.method === 'GET' ? {} : await readJson(req);
      send(200, (await route[2](params, body, url.searchParams)) ?? { ok: true });
    } catch (error) {
      const status = error instanceof HttpError ? error.status : 400;
      send(status, { error: error instanceof Error ? error.message : String(error) });
    }
    return true;
  };
}
