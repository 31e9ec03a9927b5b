#!/usr/bin/env node
// Runs the simulator standalone: prints where it listens, the root key to trust and the media CA file.
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startSimulator } from './simulator.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.WA_SIM_PORT ?? '7300' },
    host: { type: 'string', default: process.env.WA_SIM_HOST ?? '127.0.0.1' },
    'media-port': { type: 'string', default: process.env.WA_SIM_MEDIA_PORT ?? '0' },
    'qr-refs': { type: 'string', default: '6' },
    'ca-file': { type: 'string', default: join(tmpdir(), 'wa-sim-media-ca.pem') },
  },
});

const sim = await startSimulator({
  port: Number(values.port),
  host: values.host,
  qr: { refs: Number(values['qr-refs']) },
  media: { port: Number(values['media-port']) },
});
if (sim.mediaCaPem) writeFileSync(values['ca-file'], sim.mediaCaPem);

process.stdout.write(
  [
    `wa-sim listening`,
    `  url (waWebSocketUrl):    ${sim.url}`,
    `  control:                 ${sim.controlUrl}`,
    `  phone page:              ${sim.phoneUrl}`,
    `  media host:              https://${sim.mediaHost ?? '(disabled)'}`,
    `  WA_SIM_ROOT_PUBLIC_KEY=${sim.rootPublicKey.toString('base64')}`,
    `  WA_SIM_CA_FILE=${sim.mediaCaPem ? values['ca-file'] : ''}`,
    '',
  ].join('\n'),
);

const shutdown = () => {
  void sim.close().then(() => process.exit(0));
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
