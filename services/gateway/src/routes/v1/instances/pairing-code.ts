import { createRoute, z } from '@hono/zod-openapi';
import { pairingCodeData } from '@whatisup/contracts';
import { recordAudit } from '@whatisup/db';
import type { GatewayDeps } from '../../../deps.ts';
import { errorResponses, IdParam } from '../common.ts';
import type { V1App } from '../router.ts';
import { requireInstance } from './instance-access.ts';
import { msisdn } from './schema.ts';

/** The worker may first have to open a fresh connection to WhatsApp (it waits up to 15 s for it). */
const PAIRING_TIMEOUT_MS = 20_000;

const PairingCodeBody = z
  .strictObject({ phone: msisdn('phone').openapi({ description: 'The number to link, as on the phone' }) })
  .openapi('PairingCodeRequest');

const route = createRoute({
  method: 'post',
  path: '/instances/{id}/pairing-code',
  tags: ['Instances'],
  summary: 'Link by phone number instead of QR: get the code to type on the phone',
  description:
    'On the phone: Linked devices → Link a device → Link with phone number instead, then type the code. ' +
    'An instance that is already linked answers 409 instance_already_linked.',
  request: {
    params: z.object({ id: IdParam('id', 'ins_01jq0a3k5v7x9z2b4d6f8h0j2k') }),
    body: { required: true, content: { 'application/json': { schema: PairingCodeBody } } },
  },
  responses: {
    200: {
      description: 'The pairing code',
      content: {
        'application/json': {
          schema: z.object({ code: z.string().openapi({ example: 'ABCD1234' }) }).openapi('PairingCode'),
        },
      },
    },
    ...errorResponses(400, 404, 409, 413, 415, 502, 503, 504),
  },
});

export function registerInstancePairingCode(app: V1App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const customerId = c.get('customerId');
    const instance = await requireInstance(deps, customerId, c.req.valid('param').id);
    const { phone } = c.req.valid('json');
    const { code } = await deps.workers.command(instance.id, 'pairing-code', { phone }, pairingCodeData, {
      correlationId: c.get('correlationId'),
      timeoutMs: Math.max(deps.workers.timeoutMs, PAIRING_TIMEOUT_MS),
    });
    await recordAudit(deps.db, {
      customerId,
      actorType: 'api_key',
      actorId: c.get('apiKeyId'),
      action: 'instance.pairing_code',
      targetType: 'instance',
      targetId: instance.id,
      correlationId: c.get('correlationId'),
    });
    return c.json({ code }, 200);
  });
}
