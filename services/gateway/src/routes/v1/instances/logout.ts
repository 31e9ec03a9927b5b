import type { GatewayDeps } from '../../../deps.ts';
import type { V1App } from '../router.ts';
import { registerStateCommand } from './state-command.ts';

export function registerInstanceLogout(app: V1App, deps: GatewayDeps): void {
  registerStateCommand(app, deps, {
    verb: 'logout',
    summary:
      'Log the instance out: unlink it on WhatsApp and wipe its session (the instance stays; fetch a QR to link again)',
  });
}
