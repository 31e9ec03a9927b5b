// Create-time check of a customer-supplied webhook URL: syntax, scheme, and destinations visible without DNS.
import { isIPv4 } from 'node:net';
import { classifyAddress } from './address.ts';

export const MAX_WEBHOOK_URL_LENGTH = 2048;

export type WebhookUrlErrorCode =
  | 'invalid_url'
  | 'url_too_long'
  | 'scheme_not_allowed'
  | 'credentials_not_allowed'
  | 'fragment_not_allowed'
  | 'invalid_port'
  | 'invalid_hostname'
  | 'local_hostname'
  | 'private_address';

export type WebhookUrlCheck =
  | { ok: true; url: URL }
  | { ok: false; code: WebhookUrlErrorCode; reason: string };

export type WebhookUrlOptions = {
  /** Local development and tests only: accept loopback/private IPs, localhost and single-label names. */
  allowPrivate?: boolean;
};

// Names that never resolve in public DNS but may resolve inside our network: RFC 6761 localhost, mDNS
// (.local, so also Kubernetes' cluster.local), ICANN's private-use .internal (GCP metadata.google.internal),
// RFC 8375 home.arpa, and the undelegated suffixes that private networks commonly use.
const localSuffixes = [
  'localhost',
  'local',
  'localdomain',
  'internal',
  'intranet',
  'lan',
  'home',
  'corp',
  'svc',
];
const localSuffixPairs = ['home.arpa'];

const dnsLabel = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/;
const topLevelLabel = /^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;
// The WHATWG parser silently drops tabs and newlines and trims spaces and controls; refuse them instead so
// that what the customer typed and what we call are visibly the same thing.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const whitespaceOrControl = /[\u0000-\u0020\u007f]/;

/**
 * Checks a webhook URL synchronously. Refuses literal private/reserved IPs in every spelling the WHATWG
 * parser normalises (decimal, hex, octal, short, percent-encoded, full-width, IPv4-mapped IPv6) and names
 * that are local by construction. Public-looking names are accepted; the address they resolve to is
 * checked again at every connection by the guarded lookup/connector.
 */
export function checkWebhookUrl(raw: string, opts: WebhookUrlOptions = {}): WebhookUrlCheck {
  if (typeof raw !== 'string' || raw.length === 0) return fail('invalid_url', 'webhook URL is required');
  if (raw.length > MAX_WEBHOOK_URL_LENGTH) return tooLong();
  if (whitespaceOrControl.test(raw)) {
    return fail('invalid_url', 'webhook URL must not contain spaces or control characters');
  }

  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return fail('invalid_url', 'webhook URL is not a valid absolute URL');
  }

  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return fail('scheme_not_allowed', `webhook URL must use https or http, not ${url.protocol.slice(0, -1)}`);
  }
  if (url.href.length > MAX_WEBHOOK_URL_LENGTH) return tooLong();
  if (url.username !== '' || url.password !== '') {
    return fail('credentials_not_allowed', 'webhook URL must not contain a user name or password');
  }
  // In a parsed http(s) href a '#' can only be the fragment delimiter; `hash` alone misses a bare '#'.
  if (url.href.includes('#')) {
    return fail('fragment_not_allowed', 'webhook URL must not contain a fragment (#…)');
  }
  if (url.port === '0') return fail('invalid_port', 'webhook URL port must be between 1 and 65535');

  const hostname = url.hostname;
  const ipLiteral = hostname.startsWith('[') ? hostname.slice(1, -1) : isIPv4(hostname) ? hostname : null;
  if (ipLiteral !== null) {
    const verdict = classifyAddress(ipLiteral);
    if (!verdict.public && !opts.allowPrivate) {
      return fail(
        'private_address',
        `webhook URL must not point to a private, loopback or reserved address (${verdict.address} is ${humanRange(verdict.range)})`,
      );
    }
    return { ok: true, url };
  }
  return checkHostname(hostname, opts) ?? { ok: true, url };
}

function checkHostname(hostname: string, opts: WebhookUrlOptions): WebhookUrlCheck | null {
  const name = hostname.endsWith('.') ? hostname.slice(0, -1) : hostname;
  const labels = name.split('.');
  if (name.length > 253 || !labels.every((label) => dnsLabel.test(label))) {
    return fail('invalid_hostname', `webhook URL host is not a valid DNS name (${hostname})`);
  }
  const last = labels.at(-1)!;
  if (labels.length > 1 && !topLevelLabel.test(last)) {
    return fail('invalid_hostname', `webhook URL host is not a valid DNS name (${hostname})`);
  }
  if (opts.allowPrivate) return null;
  const lastTwo = labels.slice(-2).join('.');
  if (labels.length === 1 || localSuffixes.includes(last) || localSuffixPairs.includes(lastTwo)) {
    return fail(
      'local_hostname',
      `webhook URL must use a public domain name, not a local or internal host name (${hostname})`,
    );
  }
  return null;
}

// ipaddr.js range names are camelCase ('carrierGradeNat'); the message is read by customers.
function humanRange(range: string): string {
  return range.replace(/[A-Z]/g, (letter) => ` ${letter.toLowerCase()}`);
}

function tooLong(): WebhookUrlCheck {
  return fail('url_too_long', `webhook URL must be at most ${MAX_WEBHOOK_URL_LENGTH} characters long`);
}

function fail(code: WebhookUrlErrorCode, reason: string): WebhookUrlCheck {
  return { ok: false, code, reason };
}
