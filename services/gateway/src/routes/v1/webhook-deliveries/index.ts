import type { GatewayDeps } from '../../../deps.ts';
import type { V1App } from '../router.ts';
import { registerGetWebhookDelivery } from './get.ts';
import { registerListWebhookDeliveries } from './list.ts';
import { registerRetryWebhookDelivery } from './retry.ts';

export function registerWebhookDeliveryRoutes(app: V1App, deps: GatewayDeps): void {
  registerListWebhookDeliveries(app, deps);
  registerGetWebhookDelivery(app, deps);
  registerRetryWebhookDelivery(app, deps);
}
