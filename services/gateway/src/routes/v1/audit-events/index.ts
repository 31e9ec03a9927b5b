import type { GatewayDeps } from '../../../deps.ts';
import type { V1App } from '../router.ts';
import { registerListAuditEvents } from './list.ts';

export function registerAuditEventRoutes(app: V1App, deps: GatewayDeps): void {
  registerListAuditEvents(app, deps);
}
