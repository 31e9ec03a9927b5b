import { createRoute, z } from '@hono/zod-openapi';
import { instanceState, qrData } from '@whatisup/contracts';
import QRCode from 'qrcode';
import type { GatewayDeps } from '../../../deps.ts';
import { ApiError } from '../../../errors.ts';
import { errorResponses, IdParam, Timestamp } from '../common.ts';
import type { V1App } from '../router.ts';
import { requireInstance } from './instance-access.ts';

const QrSchema = z
  .object({
    qr: z.string().openapi({ description: 'The QR payload; render it as a QR code, or ask for image/png' }),
    expires_at: Timestamp.openapi({
      description: 'When WhatsApp rotates it (about every 30 s); fetch again then',
    }),
  })
  .openapi('InstanceQr');

const route = createRoute({
  method: 'get',
  path: '/instances/{id}/qr',
  tags: ['Instances'],
  summary: 'The current QR code to link the instance (JSON, or a PNG with Accept: image/png)',
  description:
    'While the instance waits to be linked, the current QR code. When there is none (already linked, still ' +
    'connecting, the session cannot be read, …) the answer is 409 qr_unavailable with the instance_status ' +
    'and, in plain words, why and what to do. Never 200 with an empty body.',
  request: { params: z.object({ id: IdParam('id', 'ins_01jq0a3k5v7x9z2b4d6f8h0j2k') }) },
  responses: {
    200: {
      description: 'The current QR code',
      headers: z.object({ 'X-QR-Expires-At': Timestamp }),
      content: {
        'application/json': { schema: QrSchema },
        'image/png': { schema: z.string().openapi({ format: 'binary' }) },
      },
    },
    ...errorResponses(404, 409, 502, 503, 504),
  },
});

/** States in which a QR is on its way, so retrying in a few seconds is the right thing to do. */
const QR_PENDING = new Set(['created', 'connecting', 'qr_required']);
const STATUS_TIMEOUT_MS = 2_000;

export function registerInstanceQr(app: V1App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const instance = await requireInstance(deps, c.get('customerId'), c.req.valid('param').id);
    const correlationId = c.get('correlationId');
    let qr: z.infer<typeof qrData>;
    try {
      qr = await deps.workers.command(instance.id, 'qr', {}, qrData, { correlationId });
    } catch (error) {
      if (!(error instanceof ApiError) || error.code !== 'qr_unavailable') throw error;
      // The worker says why in customer words; the live status comes from the worker too when it answers.
      const live = await deps.workers
        .command(instance.id, 'status', {}, instanceState, {
          correlationId,
          timeoutMs: Math.min(STATUS_TIMEOUT_MS, deps.workers.timeoutMs),
        })
        .catch(() => null);
      const status = live?.status ?? instance.status;
      throw new ApiError('qr_unavailable', error.message, {
        instanceStatus: status,
        ...(QR_PENDING.has(status) ? { retryAfterSeconds: 3 } : {}),
      });
    }
    c.header('Cache-Control', 'no-store');
    c.header('X-QR-Expires-At', qr.expires_at);
    if (wantsPng(c.req.header('Accept'))) {
      const png = await QRCode.toBuffer(qr.qr, {
        type: 'png',
        errorCorrectionLevel: 'M',
        margin: 4,
        width: 512,
      });
      return c.body(new Uint8Array(png), 200, { 'Content-Type': 'image/png' });
    }
    return c.json(qr, 200);
  });
}

/** `Accept: image/png` (with any q but 0) asks for the image; anything else gets JSON. */
function wantsPng(accept: string | undefined): boolean {
  if (!accept) return false;
  return accept.split(',').some((range) => {
    const [type, ...params] = range.split(';').map((part) => part.trim().toLowerCase());
    return type === 'image/png' && !params.some((param) => /^q=0(\.0{0,3})?$/.test(param));
  });
}
