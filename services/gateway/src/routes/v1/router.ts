// The /v1 sub-app: authenticated, rate-limited, JSON only.
import { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv, GatewayDeps } from '../../deps.ts';
import { authenticate } from '../../middleware/authenticate.ts';
import { rateLimit } from '../../middleware/rate-limit.ts';
import { requireJson } from '../../middleware/require-json.ts';
import { validationHook } from '../../validation.ts';
import { registerAuditEventRoutes } from './audit-events/index.ts';
import { registerEventRoutes } from './events/index.ts';
import { registerInstanceRoutes } from './instances/index.ts';
import { registerWebhookDeliveryRoutes } from './webhook-deliveries/index.ts';
import { registerWebhookEndpointRoutes } from './webhook-endpoints/index.ts';

export type V1App = OpenAPIHono<AppEnv>;

export function createV1App(deps: GatewayDeps): V1App {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.use(authenticate(deps));
  app.use(rateLimit(deps));
  app.use(requireJson);
  registerInstanceRoutes(app, deps);
  registerWebhookEndpointRoutes(app, deps);
  registerWebhookDeliveryRoutes(app, deps);
  registerAuditEventRoutes(app, deps);
  registerEventRoutes(app, deps);
  return app;
}
