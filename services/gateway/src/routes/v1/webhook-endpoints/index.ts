import type { GatewayDeps } from '../../../deps.ts';
import type { V1App } from '../router.ts';
import { registerCreateWebhookEndpoint } from './create.ts';
import { registerDeleteWebhookEndpoint } from './delete.ts';
import { registerGetWebhookEndpoint } from './get.ts';
import { registerListWebhookEndpoints } from './list.ts';
import { registerPauseWebhookEndpoint } from './pause.ts';
import { registerResumeWebhookEndpoint } from './resume.ts';
import { registerRotateWebhookEndpointSecret } from './rotate-secret.ts';
import { registerTestWebhookEndpoint } from './test.ts';
import { registerUpdateWebhookEndpoint } from './update.ts';

export function registerWebhookEndpointRoutes(app: V1App, deps: GatewayDeps): void {
  registerCreateWebhookEndpoint(app, deps);
  registerListWebhookEndpoints(app, deps);
  registerGetWebhookEndpoint(app, deps);
  registerUpdateWebhookEndpoint(app, deps);
  registerDeleteWebhookEndpoint(app, deps);
  registerPauseWebhookEndpoint(app, deps);
  registerResumeWebhookEndpoint(app, deps);
  registerRotateWebhookEndpointSecret(app, deps);
  registerTestWebhookEndpoint(app, deps);
}
