// Private, loopback and reserved targets in every spelling, as webhook URLs (create and update) and as media
// URLs of sends: always refused at the API with 400 validation_failed on the url field. Public-looking names
// are accepted, including ones that may redirect: a redirect is never followed when delivering (covered by
// services/delivery/test/retries.test.ts), and a name is checked again after DNS at every connection.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { HostileGateway, type HostileRequest, jsonBody, SEED } from './hostile-gateway.ts';

fc.configureGlobal({ seed: SEED, numRuns: 40 });

const h = await HostileGateway.start({ webhookAllowPrivateTargets: false });
const customer = await h.customer('Acme');
const estate = await h.estate(customer);

afterAll(async () => {
  h.expectCleanLogs();
  await h.close();
});

/** Private and reserved IPv4 addresses, as four octets. */
const PRIVATE_V4: [number, number, number, number][] = [
  [127, 0, 0, 1],
  [127, 1, 2, 3],
  [10, 0, 0, 1],
  [172, 16, 0, 1],
  [172, 31, 255, 254],
  [192, 168, 1, 1],
  [169, 254, 169, 254],
  [100, 64, 0, 1],
  [0, 0, 0, 0],
  [0, 1, 2, 3],
  [224, 0, 0, 1],
  [255, 255, 255, 255],
  [198, 18, 0, 1],
  [192, 0, 0, 170],
];

const hex = (n: number) => `0x${n.toString(16)}`;
const octal = (n: number) => `0${n.toString(8)}`;
const toInt = ([a, b, c, d]: number[]) => ((a! << 24) >>> 0) + (b! << 16) + (c! << 8) + d!;

/** Every way the WHATWG URL parser (and so any HTTP client) reads as that IPv4 address. */
function spellings(octets: [number, number, number, number]): string[] {
  const [a, b, c, d] = octets;
  const n = toInt(octets);
  const hex16 = (x: number, y: number) => ((x << 8) + y).toString(16);
  return [
    `${a}.${b}.${c}.${d}`,
    `${a}.${b}.${c}.${d}.`,
    String(n),
    hex(n),
    `0x${n.toString(16).toUpperCase().padStart(8, '0')}`,
    octal(n),
    `${octal(a)}.${octal(b)}.${octal(c)}.${octal(d)}`,
    `${hex(a)}.${hex(b)}.${hex(c)}.${hex(d)}`,
    `${a}.${(b << 16) + (c << 8) + d}`,
    `${a}.${b}.${(c << 8) + d}`,
    `${hex(a)}.${b}.${octal(c)}.${d}`,
    `00000${a.toString(8)}.${b}.${c}.${d}`,
    [...`${a}.${b}.${c}.${d}`].map((ch) => `%${ch.charCodeAt(0).toString(16)}`).join(''),
    [...`${a}.${b}.${c}.${d}`]
      .map((ch) => (ch === '.' ? '。' : String.fromCharCode(ch.charCodeAt(0) + 0xfee0)))
      .join(''),
    `[::ffff:${a}.${b}.${c}.${d}]`,
    `[::ffff:${hex16(a, b)}:${hex16(c, d)}]`,
    `[0:0:0:0:0:ffff:${a}.${b}.${c}.${d}]`,
    `[::${a}.${b}.${c}.${d}]`,
    `[64:ff9b::${a}.${b}.${c}.${d}]`,
    `[2002:${hex16(a, b)}:${hex16(c, d)}::1]`,
  ];
}

const PRIVATE_NAMES = [
  'localhost',
  'LOCALHOST',
  'localhost.',
  'LocalHost.localdomain',
  'api.localhost',
  'localtest',
  'printer.local',
  'metadata.google.internal',
  'kubernetes.default.svc',
  'kubernetes.default.svc.cluster.local',
  'router.home.arpa',
  'intranet',
  '0',
  '127.1',
  '127.0.1',
  '0x7f.1',
  '[::]',
  '[::1]',
  '[0:0:0:0:0:0:0:1]',
  '[::0]',
  '[fc00::1]',
  '[fd12:3456:789a::1]',
  '[fe80::1]',
  '[fe80::1%25eth0]',
  '[ff02::1]',
  '[::ffff:7f00:1]',
  '[100::1]',
  '[2001:db8::1]',
];

const privateHost = fc.oneof(
  fc.constantFrom(...PRIVATE_V4).chain((octets) => fc.constantFrom(...spellings(octets))),
  fc.constantFrom(...PRIVATE_NAMES),
);

const privateUrl = fc
  .tuple(
    fc.constantFrom('http', 'https', 'HTTPS', 'hTtP'),
    privateHost,
    fc.constantFrom('', ':80', ':443', ':8080', ':6379', ':5432'),
    fc.constantFrom('/', '/hook', '/a/../b?x=1', '', '/%2e%2e/admin'),
  )
  .map(([scheme, host, port, path]) => `${scheme}://${host}${port}${path}`);

const PUBLIC_URLS = [
  'https://hooks.example.com/whatisup',
  'https://example.com',
  'http://8.8.8.8/hook',
  'https://1.1.1.1:8443/a?b=c',
  'https://[2606:4700:4700::1111]/hook',
  'https://xn--bcher-kva.example/hook',
  'https://hooks.example.com./trailing-dot',
  // Public names whose answer may well be a redirect to a private address: accepted here, and the delivery
  // side refuses to follow any redirect.
  'https://httpbin.org/redirect-to?url=http://127.0.0.1/',
  'https://bit.ly/3xyz',
];

async function createEndpoint(url: string) {
  return h.send({ method: 'POST', url: '/v1/webhook-endpoints', auth: customer.key, ...jsonBody({ url }) });
}

function expectRefusedUrl(
  outcome: { status: number; json: { error: { code: string; issues?: { path: string }[] } } },
  url: string,
) {
  expect(outcome.status, url).toBe(400);
  expect(outcome.json.error.code).toBe('validation_failed');
  expect(outcome.json.error.issues?.map((issue) => issue.path)).toContain('body.url');
}

describe('webhook endpoint URLs', () => {
  it('refuses every spelling of a private address at create time', async () => {
    await fc.assert(
      fc.asyncProperty(privateUrl, async (url) => {
        expectRefusedUrl(await createEndpoint(url), url);
      }),
    );
  });

  it('refuses each spelling of each private range at least once (not left to chance)', async () => {
    // The spellings mean what they say: a client's URL parser reads each IPv4 one as the dotted address.
    for (const octets of PRIVATE_V4) {
      for (const host of spellings(octets).filter((spelling) => !spelling.startsWith('['))) {
        expect(new URL(`http://${host}/`).hostname, host).toBe(octets.join('.'));
      }
    }
    for (const octets of PRIVATE_V4) {
      for (const host of spellings(octets)) expectRefusedUrl(await createEndpoint(`https://${host}/`), host);
    }
    for (const host of PRIVATE_NAMES) expectRefusedUrl(await createEndpoint(`https://${host}/`), host);
  });

  it('refuses them on update too, and the endpoint keeps its URL', async () => {
    const before = await h.send({
      method: 'GET',
      url: `/v1/webhook-endpoints/${estate.endpoint}`,
      auth: customer.key,
    });
    await fc.assert(
      fc.asyncProperty(privateUrl, async (url) => {
        const outcome = await h.send({
          method: 'PATCH',
          url: `/v1/webhook-endpoints/${estate.endpoint}`,
          auth: customer.key,
          ...jsonBody({ url }),
        });
        expectRefusedUrl(outcome, url);
      }),
      { numRuns: 30 },
    );
    const after = await h.send({
      method: 'GET',
      url: `/v1/webhook-endpoints/${estate.endpoint}`,
      auth: customer.key,
    });
    expect(after.json).toEqual(before.json);
  });

  it('accepts public-looking names and public addresses (checked again after DNS at send time)', async () => {
    for (const url of PUBLIC_URLS) {
      const outcome = await createEndpoint(url);
      expect(outcome.status, `${url}: ${outcome.text}`).toBe(201);
    }
  });
});

describe('media URLs of sends', () => {
  const send = (url: string): HostileRequest => ({
    method: 'POST',
    url: `/v1/instances/${estate.instance}/messages`,
    auth: customer.key,
    ...jsonBody({ to: '4915123456789', type: 'image', url, caption: 'x' }),
  });

  it('refuses every spelling of a private address', async () => {
    const before = h.gw.standIn!.commands.length;
    await fc.assert(
      fc.asyncProperty(privateUrl, async (url) => {
        expectRefusedUrl(await h.send(send(url)), url);
      }),
    );
    expect(h.gw.standIn!.commands.slice(before).filter((command) => command.verb === 'send')).toEqual([]);
  });

  it('accepts public ones', async () => {
    for (const url of PUBLIC_URLS.slice(0, 5)) {
      const outcome = await h.send(send(url));
      expect(outcome.status, `${url}: ${outcome.text}`).toBe(202);
    }
  });
});
