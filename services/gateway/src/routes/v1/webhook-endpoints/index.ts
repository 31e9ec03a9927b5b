import type { GatewayDeps } from '../../../deps.ts';
import type { V1App } from '../router.ts';

export function registerWebhookEndpointRoutes(_app: V1App, _deps: GatewayDeps): void {}
