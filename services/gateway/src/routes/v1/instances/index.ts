import type { GatewayDeps } from '../../../deps.ts';
import type { V1App } from '../router.ts';
import { registerCreateInstance } from './create.ts';
import { registerDeleteInstance } from './delete.ts';
import { registerGetInstance } from './get.ts';
import { registerGetMessage } from './get-message.ts';
import { registerListInstances } from './list.ts';
import { registerListMessages } from './list-messages.ts';
import { registerInstanceLogout } from './logout.ts';
import { registerInstancePairingCode } from './pairing-code.ts';
import { registerInstanceQr } from './qr.ts';
import { registerInstanceRestart } from './restart.ts';
import { registerSendMessage } from './send-message.ts';

export function registerInstanceRoutes(app: V1App, deps: GatewayDeps): void {
  registerCreateInstance(app, deps);
  registerListInstances(app, deps);
  registerGetInstance(app, deps);
  registerDeleteInstance(app, deps);
  registerInstanceQr(app, deps);
  registerInstancePairingCode(app, deps);
  registerInstanceLogout(app, deps);
  registerInstanceRestart(app, deps);
  registerSendMessage(app, deps);
  registerListMessages(app, deps);
  registerGetMessage(app, deps);
}
