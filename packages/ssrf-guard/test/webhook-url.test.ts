import { describe, expect, it } from 'vitest';
import { checkWebhookUrl } from '../src/index.ts';

function refusal(raw: string) {
  const result = checkWebhookUrl(raw);
  if (result.ok) throw new Error(`expected ${raw} to be refused, got ${result.url.href}`);
  return result;
}

describe('checkWebhookUrl: happy path', () => {
  it.each([
    ['https://example.com/hook', 'https://example.com/hook'],
    ['http://93.184.215.14:8080/x', 'http://93.184.215.14:8080/x'],
    ['https://[2606:4700::1111]/', 'https://[2606:4700::1111]/'],
    ['https://Example.COM./hooks?tenant=a&b=1', 'https://example.com./hooks?tenant=a&b=1'],
    ['https://bücher.ch/hook', 'https://xn--bcher-kva.ch/hook'],
    ['https://hooks.example.co.uk:65535/', 'https://hooks.example.co.uk:65535/'],
    ['https://my_service.example.com/', 'https://my_service.example.com/'],
    ['http://[::ffff:8.8.8.8]/', 'http://[::ffff:808:808]/'],
  ])('accepts %s', (raw, href) => {
    const result = checkWebhookUrl(raw);
    expect(result).toMatchObject({ ok: true });
    expect(result.ok && result.url.href).toBe(href);
  });

  it('accepts names that are DNS, even when they will resolve to a private address (checked at send time)', () => {
    expect(checkWebhookUrl('http://127.0.0.1.nip.io/hook').ok).toBe(true);
  });

  it('accepts a URL of exactly 2048 characters', () => {
    const raw = `https://example.com/${'a'.repeat(2048 - 'https://example.com/'.length)}`;
    expect(raw).toHaveLength(2048);
    expect(checkWebhookUrl(raw).ok).toBe(true);
  });
});

describe('checkWebhookUrl: errors', () => {
  it.each([
    ['', 'invalid_url'],
    ['example.com/hook', 'invalid_url'],
    ['/hook', 'invalid_url'],
    ['https://', 'invalid_url'],
    ['http://1.2.3.4.5/', 'invalid_url'],
    [' https://example.com/', 'invalid_url'],
    ['https://example.com/a b', 'invalid_url'],
    ['https://exam\tple.com/', 'invalid_url'],
    ['https://example.com/\n', 'invalid_url'],
    ['ftp://example.com', 'scheme_not_allowed'],
    ['javascript:alert(1)', 'scheme_not_allowed'],
    ['javascript:', 'scheme_not_allowed'],
    ['file:///etc/passwd', 'scheme_not_allowed'],
    ['ws://example.com/', 'scheme_not_allowed'],
    ['data:text/plain,hi', 'scheme_not_allowed'],
    ['gopher://example.com/', 'scheme_not_allowed'],
    ['http://user:pass@example.com', 'credentials_not_allowed'],
    ['http://user@example.com', 'credentials_not_allowed'],
    ['http://:pass@example.com', 'credentials_not_allowed'],
    ['http://127.0.0.1:80@example.com/', 'credentials_not_allowed'],
    ['https://example.com/hook#frag', 'fragment_not_allowed'],
    ['https://example.com/hook#', 'fragment_not_allowed'],
    ['https://example.com:0/', 'invalid_port'],
    ['https://example.com:65536/', 'invalid_url'],
    ['https://a!b.example.com/', 'invalid_hostname'],
    ['https://a..b.com/', 'invalid_hostname'],
    ['https://.example.com/', 'invalid_hostname'],
    ['https://-a.example.com/', 'invalid_hostname'],
    ['https://a-.example.com/', 'invalid_hostname'],
    ['https://example.com../', 'invalid_hostname'],
    [`https://${'a'.repeat(64)}.com/`, 'invalid_hostname'],
    [`https://${'abcdefghi.'.repeat(26)}com/`, 'invalid_hostname'],
    ['https://example.c0m/', 'invalid_hostname'],
  ])('refuses %j with %s', (raw, code) => {
    const result = refusal(raw);
    expect(result.code).toBe(code);
    expect(result.reason).toMatch(/^webhook URL /);
  });

  it('refuses a 10 KB URL with url_too_long', () => {
    expect(refusal(`https://example.com/${'a'.repeat(10 * 1024)}`)).toMatchObject({
      code: 'url_too_long',
      reason: 'webhook URL must be at most 2048 characters long',
    });
  });

  it('refuses a URL that only exceeds 2048 characters once normalised', () => {
    const raw = `https://example.com/${'é'.repeat(1000)}`;
    expect(raw.length).toBeLessThan(2048);
    expect(refusal(raw).code).toBe('url_too_long');
  });

  it('names the scheme it refused', () => {
    expect(refusal('ftp://example.com').reason).toBe('webhook URL must use https or http, not ftp');
  });
});

describe('checkWebhookUrl: security', () => {
  it.each([
    ['http://127.0.0.1/', '127.0.0.1'],
    ['http://127.1/', '127.0.0.1'],
    ['http://2130706433/', '127.0.0.1'],
    ['http://0x7f000001/', '127.0.0.1'],
    ['http://0x7f.1/', '127.0.0.1'],
    ['http://0177.0.0.1/', '127.0.0.1'],
    ['http://017700000001/', '127.0.0.1'],
    ['http://127.000.000.001/', '127.0.0.1'],
    ['http://0x7f.0.0.1/', '127.0.0.1'],
    ['http://127.0.0.1./', '127.0.0.1'],
    ['http://%31%32%37.0.0.1/', '127.0.0.1'],
    ['http://１２７.０.０.１/', '127.0.0.1'],
    ['http:\\\\127.0.0.1\\hook', '127.0.0.1'],
    ['https://127.0.0.1:8443/hook', '127.0.0.1'],
    ['http://0.0.0.0/', '0.0.0.0'],
    ['http://0/', '0.0.0.0'],
    ['http://[::1]/', '::1'],
    ['http://[0:0:0:0:0:0:0:1]/', '::1'],
    ['http://[::]/', '::'],
    ['http://[::ffff:127.0.0.1]/', '127.0.0.1'],
    ['http://[::ffff:7f00:1]/', '127.0.0.1'],
    ['http://[0:0:0:0:0:ffff:127.0.0.1]/', '127.0.0.1'],
    ['http://[::ffff:169.254.169.254]/', '169.254.169.254'],
    ['http://[::127.0.0.1]/', '::7f00:1'],
    ['http://[64:ff9b::7f00:1]/', '64:ff9b::7f00:1'],
    ['http://[2002:7f00:1::]/', '2002:7f00:1::'],
    ['http://10.0.0.1/', '10.0.0.1'],
    ['http://10.1/', '10.0.0.1'],
    ['http://167772161/', '10.0.0.1'],
    ['http://172.16.0.1/', '172.16.0.1'],
    ['http://192.168.1.1/', '192.168.1.1'],
    ['http://169.254.169.254/latest/meta-data/', '169.254.169.254'],
    ['http://100.64.0.1/', '100.64.0.1'],
    ['http://198.18.0.1/', '198.18.0.1'],
    ['http://192.0.2.1/', '192.0.2.1'],
    ['http://240.0.0.1/', '240.0.0.1'],
    ['http://[fd00::1]/', 'fd00::1'],
    ['http://[fe80::1]/', 'fe80::1'],
    ['http://[2001:db8::1]/', '2001:db8::1'],
    ['http://224.0.0.1/', '224.0.0.1'],
    ['http://[ff02::1]/', 'ff02::1'],
    ['http://255.255.255.255/', '255.255.255.255'],
  ])('refuses %s as private_address (%s)', (raw, address) => {
    const result = refusal(raw);
    expect(result.code).toBe('private_address');
    expect(result.reason).toMatch(
      /^webhook URL must not point to a private, loopback or reserved address \(/,
    );
    expect(result.reason).toContain(`(${address} is `);
  });

  it('says which kind of address it refused', () => {
    expect(refusal('http://0x7f000001/').reason).toBe(
      'webhook URL must not point to a private, loopback or reserved address (127.0.0.1 is loopback)',
    );
    expect(refusal('http://100.64.0.1/').reason).toContain('(100.64.0.1 is carrier grade nat)');
  });

  it.each([
    'http://localhost/',
    'http://LOCALHOST:3000/',
    'http://localhost./',
    'http://foo.localhost/',
    'http://foo.localhost./',
    'http://printer.local/',
    'http://redis.default.svc.cluster.local/',
    'http://metadata.google.internal/computeMetadata/v1/',
    'http://router.home.arpa/',
    'http://nas.lan/',
    'http://gateway.whatisup.svc/',
    'http://intranet/',
    'http://postgres:5432/',
  ])('refuses %s as local_hostname', (raw) => {
    expect(refusal(raw).code).toBe('local_hostname');
  });
});

describe('checkWebhookUrl: allowPrivate', () => {
  it.each([
    'http://127.0.0.1:3000/hook',
    'http://2130706433/',
    'http://[::1]:8080/',
    'http://10.0.0.1/',
    'http://localhost:3000/',
    'http://receiver:8080/hook',
  ])('lets %s through', (raw) => {
    expect(checkWebhookUrl(raw, { allowPrivate: true }).ok).toBe(true);
  });

  it.each([
    ['ftp://127.0.0.1/', 'scheme_not_allowed'],
    ['http://user:pass@127.0.0.1/', 'credentials_not_allowed'],
    ['http://a!b/', 'invalid_hostname'],
  ])('still refuses %s (%s)', (raw, code) => {
    expect(checkWebhookUrl(raw, { allowPrivate: true })).toMatchObject({ ok: false, code });
  });
});
