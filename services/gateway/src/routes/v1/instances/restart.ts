import type { GatewayDeps } from '../../../deps.ts';
import type { V1App } from '../router.ts';
import { registerStateCommand } from './state-command.ts';

export function registerInstanceRestart(app: V1App, deps: GatewayDeps): void {
  registerStateCommand(app, deps, {
    verb: 'restart',
    summary: "Restart the instance's connection (reconnects; an unlinked instance starts a new pairing)",
  });
}
