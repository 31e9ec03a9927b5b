/** Raised (through the socket or lookup callback) when a connection would reach a non-public address. */
export class SsrfBlockedError extends Error {
  readonly code = 'ERR_SSRF_BLOCKED';
  readonly hostname: string;
  readonly address: string;
  readonly range: string;

  constructor(hostname: string, address: string, range: string) {
    const target = hostname === address ? address : `${hostname} (${address})`;
    super(`refusing to connect to ${target}: not a public address (${range})`);
    this.name = 'SsrfBlockedError';
    this.hostname = hostname;
    this.address = address;
    this.range = range;
  }
}
