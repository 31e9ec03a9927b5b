import type { GatewayDeps } from '../../../deps.ts';
import type { V1App } from '../router.ts';
import { registerEventStream } from './stream.ts';

export function registerEventRoutes(app: V1App, deps: GatewayDeps): void {
  registerEventStream(app, deps);
}
