import type { GatewayDeps } from '../../../deps.ts';
import type { V1App } from '../router.ts';
import { registerCreateInstance } from './create.ts';
import { registerDeleteInstance } from './delete.ts';
import { registerGetInstance } from './get.ts';
import { registerListInstances } from './list.ts';

export function registerInstanceRoutes(app: V1App, deps: GatewayDeps): void {
  registerCreateInstance(app, deps);
  registerListInstances(app, deps);
  registerGetInstance(app, deps);
  registerDeleteInstance(app, deps);
}
