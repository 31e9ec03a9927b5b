// What a client connection is, once its handshake payload has been read: a registering companion or a logged-in device.
import type { Connection } from './connection.ts';
import type { LinkedDevice } from './model.ts';
import type { LinkCodeState } from './pairing-code.ts';

export interface Registration {
  kind: 'registration';
  connection: Connection;
  noiseKey: Buffer;
  identityKey: Buffer;
  registrationId: number;
  signedPreKey: { keyId: number; publicKey: Buffer; signature: Buffer };
  platform: string;
  refs: string[];
  /** Set by the pairing-code flow once the companion said hello. */
  linkCode?: LinkCodeState;
  paired: boolean;
}

export interface DeviceSession {
  kind: 'device';
  device: LinkedDevice;
}

export type ConnectionContext = Registration | DeviceSession;

export function contextOf(connection: Connection): ConnectionContext | undefined {
  return connection.context as ConnectionContext | undefined;
}
