// `pnpm demo`: the product (`node scripts/start.ts`, a child process) with WhatsApp played by wa-sim in this
// process, plus the simulated phone page — every flow with no WhatsApp account and no network. It starts the
// simulator (WebSocket, control API and /phone on WA_SIM_PORT, media host on WA_SIM_MEDIA_PORT), creates a demo
// owner phone and a contact phone, starts the product in simulator mode, prints the URLs and relays the
// dashboard's QR codes to the phone page. Ctrl+C stops the product, then the simulator. Never in production.
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { type Simulator, startSimulator } from '../packages/wa-sim/src/index.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TRUST_HOOK = pathToFileURL(join(ROOT, 'packages/wa-sim/src/trust.ts')).href;
const API_KEY_LINE = /API key \(shown once\):\s*(\S+)/;
const RELAY_RETRY_MS = 2_000;
const HEALTH_TIMEOUT_MS = 180_000;

if (process.env.NODE_ENV === 'production') {
  console.error(
    'pnpm demo refuses to run with NODE_ENV=production: it makes the product trust a WhatsApp simulator.',
  );
  process.exit(1);
}

const { values } = parseArgs({ options: { help: { type: 'boolean', short: 'h' } } });
if (values.help) {
  console.log(`pnpm demo — WhatIsUp with a simulated WhatsApp and a phone page in the browser

Environment (all optional):
  PORT=8080               the product's HTTP port (dashboard, API, docs)
  DATA_DIR=data/demo      the demo's own data (embedded database, sessions); delete it to start over
  WA_SIM_PORT=7300        simulator: WebSocket, control API and the phone page (/phone)
  WA_SIM_MEDIA_PORT=7301  simulator: HTTPS media host
  DEMO_OWNER=15550100001  the demo business's phone number (link your instance to it)
  DEMO_CONTACT=15550100002 a customer's phone number
  DEMO_API_KEY            an API key of the demo database, to show the dashboard's QR codes on the phone page
                          (the key printed on the first run is kept in DATA_DIR/demo-api-key)`);
  process.exit(0);
}

function port(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65535) {
    console.error(`${name}: expected a port number (0-65535, 0: any free one), got ${JSON.stringify(raw)}`);
    process.exit(1);
  }
  return value;
}

function msisdn(name: string, fallback: string): string {
  const value = process.env[name] || fallback;
  if (!/^\d{6,15}$/.test(value)) {
    console.error(`${name}: expected 6 to 15 digits, got ${JSON.stringify(value)}`);
    process.exit(1);
  }
  return value;
}

const productPort = port('PORT', 8080);
const simPort = port('WA_SIM_PORT', 7300);
const mediaPort = port('WA_SIM_MEDIA_PORT', 7301);
const owner = msisdn('DEMO_OWNER', '15550100001');
const contact = msisdn('DEMO_CONTACT', '15550100002');
if (owner === contact) {
  console.error('DEMO_OWNER and DEMO_CONTACT must be different numbers');
  process.exit(1);
}
const dataDirSetting = process.env.DATA_DIR || 'data/demo';
const dataDir = isAbsolute(dataDirSetting) ? dataDirSetting : resolve(ROOT, dataDirSetting);
mkdirSync(dataDir, { recursive: true });
const apiKeyFile = join(dataDir, 'demo-api-key');
const caFile = join(dataDir, 'wa-sim-media-ca.pem');

let sim: Simulator;
try {
  sim = await startSimulator({ port: simPort, host: '127.0.0.1', media: { port: mediaPort } });
} catch (error) {
  console.error(
    `wa-sim could not listen on 127.0.0.1:${simPort} (media ${mediaPort}): ${(error as Error).message}\n` +
      'Set WA_SIM_PORT / WA_SIM_MEDIA_PORT to free ports.',
  );
  process.exit(1);
}
if (sim.mediaCaPem) writeFileSync(caFile, sim.mediaCaPem);
sim.createAccount(owner, { pushName: 'Demo business' });
sim.createAccount(contact, { pushName: 'Customer' });

const productUrl = `http://127.0.0.1:${productPort}`;
const env: NodeJS.ProcessEnv = {
  // PORT passes through only when set: the product's default is 8080 (and the multi-process start gives each
  // service its own default port)
  ...process.env,
  DATA_DIR: dataDir,
  // simulator mode: Baileys connects to wa-sim and trusts its certificate chain and media CA
  WA_WEBSOCKET_URL: sim.url,
  WA_SIM_ROOT_PUBLIC_KEY: sim.rootPublicKey.toString('base64'),
  ...(sim.mediaCaPem ? { WA_SIM_CA_FILE: caFile } : {}),
  NODE_OPTIONS: [process.env.NODE_OPTIONS, `--import ${TRUST_HOOK}`].filter(Boolean).join(' '),
  // the simulator's media host and a local webhook receiver are on 127.0.0.1
  MEDIA_ALLOW_PRIVATE_URLS: 'true',
  WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
};

let apiKey =
  process.env.DEMO_API_KEY || (existsSync(apiKeyFile) ? readFileSync(apiKeyFile, 'utf8').trim() : '');

const child: ChildProcess = spawn(process.execPath, [join(ROOT, 'scripts/start.ts')], {
  cwd: ROOT,
  env,
  stdio: ['ignore', 'pipe', 'pipe'],
});

/** Passes the product's output through line by line and picks up the first run's API key. */
function passThrough(stream: NodeJS.ReadableStream, out: NodeJS.WritableStream): void {
  let buffered = '';
  stream.on('data', (chunk) => {
    buffered += String(chunk);
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      out.write(`${line}\n`);
      const key = API_KEY_LINE.exec(line)?.[1];
      if (key && !process.env.DEMO_API_KEY) {
        apiKey = key;
        writeFileSync(apiKeyFile, `${key}\n`, { mode: 0o600 });
        chmodSync(apiKeyFile, 0o600);
      }
    }
  });
  stream.on('end', () => {
    if (buffered) out.write(`${buffered}\n`);
  });
}
passThrough(child.stdout!, process.stdout);
passThrough(child.stderr!, process.stderr);

let stopping = false;
let relayTimer: NodeJS.Timeout | undefined;
function stop(signal: NodeJS.Signals): void {
  if (stopping) return;
  stopping = true;
  clearTimeout(relayTimer);
  if (child.exitCode === null && child.signalCode === null) child.kill(signal);
}
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
child.on('exit', (code, signal) => {
  if (!stopping) console.error(`the product exited (${signal ?? code}); stopping the simulator`);
  stopping = true;
  clearTimeout(relayTimer);
  void sim.close().then(() => process.exit(code ?? (signal ? 1 : 0)));
});

async function healthy(): Promise<boolean> {
  return fetch(`${productUrl}/healthz`, { signal: AbortSignal.timeout(2_000) }).then(
    (res) => res.ok,
    () => false,
  );
}

// The product is up: say where everything is.
const started = Date.now();
while (!stopping && !(await healthy())) {
  if (Date.now() - started > HEALTH_TIMEOUT_MS) {
    console.error(`the product did not answer ${productUrl}/healthz within ${HEALTH_TIMEOUT_MS / 1000} s`);
    stop('SIGTERM');
    break;
  }
  await new Promise((resolve) => setTimeout(resolve, 250));
}
if (!stopping) {
  console.log(
    [
      '',
      'WhatIsUp demo — WhatsApp is simulated (wa-sim), nothing leaves this machine',
      `  Dashboard:   ${productUrl}/dashboard/`,
      `  Phone page:  ${sim.phoneUrl}`,
      `  API docs:    ${productUrl}/docs`,
      `  Phones:      +${owner} "Demo business" (link your instance to it), +${contact} "Customer"`,
      apiKey
        ? '  QR codes:    the dashboard shows them; the phone page (Linked devices → Link a device) scans them'
        : '  QR codes:    no API key known (it is printed on the first run only): set DEMO_API_KEY to see the\n' +
          "               dashboard's QR codes on the phone page, or link with a pairing code",
      '  Ctrl+C stops everything',
      '',
    ].join('\n'),
  );
  relayTimer = setTimeout(relayQrCodes, 0);
}

// The screen the phone's camera looks at: the QR codes the dashboard shows are shown to the simulator, which
// lists them on the phone page. The simulator cannot make them up itself: a QR carries the companion's secret,
// which never leaves the worker. The product's live event stream brings each new QR (`qr.updated`); on every
// (re)connection the current ones are read once from GET /v1/instances/{id}/qr.
let warnedUnauthorized = false;
async function relayQrCodes(): Promise<void> {
  try {
    if (apiKey) await followQrCodes(apiKey);
  } catch {
    // the product is restarting or busy: connect again shortly
  }
  if (!stopping) relayTimer = setTimeout(relayQrCodes, RELAY_RETRY_MS);
}

function show(qr: string, expiresAt: string): void {
  try {
    sim.showQr(qr, { expiresAt: Date.parse(expiresAt) });
  } catch {
    // expired in the meantime, or already scanned: the next QR comes with the next event
  }
}

function unauthorized(status: number): boolean {
  if (status !== 401) return false;
  if (!warnedUnauthorized)
    console.error('demo: the API key is not accepted; set DEMO_API_KEY to a valid one');
  warnedUnauthorized = true;
  return true;
}

async function followQrCodes(key: string): Promise<void> {
  const headers = { authorization: `Bearer ${key}` };
  const stream = await fetch(`${productUrl}/v1/events/stream`, { headers });
  if (unauthorized(stream.status) || !stream.ok || !stream.body) return;
  const list = await fetch(`${productUrl}/v1/instances?limit=100`, {
    headers,
    signal: AbortSignal.timeout(5_000),
  });
  if (list.ok) {
    const { data } = (await list.json()) as { data: Array<{ id: string; status: string }> };
    for (const instance of data.filter((i) => i.status === 'qr_required')) {
      const res = await fetch(`${productUrl}/v1/instances/${encodeURIComponent(instance.id)}/qr`, {
        headers,
        signal: AbortSignal.timeout(5_000),
      });
      if (!res.ok) continue;
      const current = (await res.json()) as { qr: string; expires_at: string };
      show(current.qr, current.expires_at);
    }
  }
  let buffered = '';
  const decoder = new TextDecoder();
  for await (const chunk of stream.body) {
    if (stopping) break;
    buffered += decoder.decode(chunk, { stream: true });
    let end = buffered.indexOf('\n\n');
    while (end >= 0) {
      const message = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      end = buffered.indexOf('\n\n');
      const lines = message.split('\n');
      if (!lines.includes('event: qr.updated')) continue;
      const data = lines
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trimStart())
        .join('\n');
      try {
        const envelope = JSON.parse(data) as { data?: { qr?: unknown; expires_at?: unknown } };
        const { qr, expires_at: expiresAt } = envelope.data ?? {};
        if (typeof qr === 'string' && typeof expiresAt === 'string') show(qr, expiresAt);
      } catch {
        // not an event we understand: skip it
      }
    }
    // a product event is small; a stream that never ends a message is not one we can follow
    if (buffered.length > 1_000_000) break;
  }
}
