// Decides whether an IP address is a public, globally routable unicast address a webhook may be sent to.
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

export type AddressVerdict =
  | { public: true; address: string }
  | { public: false; address: string; range: string };

// IANA has allocated only 2000::/3 for global unicast; everything outside it is special or unassigned,
// including IPv4-compatible addresses (::/96) that ipaddr.js would otherwise call 'unicast'.
const globalUnicastV6 = ipaddr.IPv6.parseCIDR('2000::/3');

/**
 * Classifies an IP literal in standard notation (what `net.isIP` accepts: dotted-quad IPv4 or IPv6).
 * Legacy IPv4 spellings (2130706433, 0x7f.1, …) are not standard notation and are never public here.
 * IPv4-mapped IPv6 is unmapped first, so ::ffff:127.0.0.1 is judged as 127.0.0.1.
 */
export function classifyAddress(ip: string): AddressVerdict {
  const family = isIP(ip);
  if (family === 0) return { public: false, address: ip, range: 'invalid' };
  const canonical = family === 6 ? canonicalIPv6(ip) : ip;
  if (canonical === null) return { public: false, address: ip, range: 'invalid' };
  const parsed = ipaddr.process(canonical);
  const address = parsed.toString();
  const range = parsed.range();
  if (range !== 'unicast') return { public: false, address, range };
  if (parsed.kind() === 'ipv6' && !(parsed as ipaddr.IPv6).match(globalUnicastV6)) {
    return { public: false, address, range: 'reserved' };
  }
  return { public: true, address };
}

// ipaddr.js reads the deprecated IPv4-compatible spelling ::8.8.8.8 as IPv4-mapped (::ffff:8.8.8.8) and would
// call it public; the WHATWG serialiser gives the real address (::808:808). The zone id is dropped: it only
// scopes a link-local or multicast address, which is refused by its address anyway.
function canonicalIPv6(ip: string): string | null {
  const address = ip.split('%')[0]!;
  return URL.parse(`http://[${address}]/`)?.hostname.slice(1, -1) ?? null;
}

/** True only for a public unicast IP literal; false for every special range and for anything unparseable. */
export function isPublicAddress(ip: string): boolean {
  return classifyAddress(ip).public;
}
