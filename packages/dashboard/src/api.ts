// The signed-in session: the typed API client (from @whatisup/sdk) over this origin, and the key kept in
// sessionStorage only (gone when the tab closes; never in a URL).
import { createClient, WhatIsUpApiError, type WhatIsUpClient } from '@whatisup/sdk';

const KEY = 'whatisup.apiKey';

export type Api = WhatIsUpClient & {
  /** The current QR as a PNG with its expiry (X-QR-Expires-At), which the typed client does not expose. */
  qrImage(instanceId: string): Promise<{ png: Blob; expiresAt: string | null }>;
};
export { WhatIsUpApiError };

export function storedKey(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function storeKey(key: string | null): void {
  try {
    if (key) sessionStorage.setItem(KEY, key);
    else sessionStorage.removeItem(KEY);
  } catch {
    // storage disabled: the key lives in memory for this page only
  }
}

/** An API client whose 401 answers sign the user out (revoked or mistyped key). */
export function createApi(apiKey: string, onUnauthorized: () => void): Api {
  let lastQrExpiry: string | null = null;
  const client = createClient({
    baseUrl: window.location.origin,
    apiKey,
    fetch: async (input, init) => {
      const response = await fetch(input, init);
      if (response.status === 401) onUnauthorized();
      if (response.ok && response.headers.get('Content-Type') === 'image/png') {
        lastQrExpiry = response.headers.get('X-QR-Expires-At');
      }
      return response;
    },
  });
  return {
    ...client,
    async qrImage(instanceId) {
      const bytes = await client.instances.qrPng(instanceId);
      const expiresAt = lastQrExpiry;
      return { png: new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'image/png' }), expiresAt };
    },
  };
}

/** Validates a key by listing one instance; resolves to a message for the user when it is refused. */
export async function checkKey(apiKey: string): Promise<string | null> {
  try {
    await createClient({ baseUrl: window.location.origin, apiKey }).instances.list({ limit: 1 });
    return null;
  } catch (error) {
    if (error instanceof WhatIsUpApiError) {
      if (error.status === 401)
        return `${capitalize(error.message)}. Check the key (it starts with wiu_) and try again.`;
      if (error.status === 429) return `Too many requests: wait ${error.retryAfter ?? 1} s and try again.`;
      return `${error.message} (correlation id ${error.correlationId ?? 'n/a'})`;
    }
    return 'The API cannot be reached. Check your connection and that the gateway is running.';
  }
}

/** What to tell the user about a failed call: the API's own words, plus what to do for the common codes. */
export function describeError(error: unknown): string {
  if (error instanceof WhatIsUpApiError) {
    const base = error.message.replace(/^invalid request: /, '');
    if (error.code === 'rate_limited')
      return `Too many requests right now: try again in ${error.retryAfter ?? 1} s.`;
    if (error.status >= 500 && error.retryAfter) return `${base} Try again in ${error.retryAfter} s.`;
    if (error.status >= 500 && error.correlationId)
      return `${base} (quote correlation id ${error.correlationId})`;
    return base;
  }
  if (error instanceof DOMException && error.name === 'AbortError') return 'Cancelled.';
  return 'The API cannot be reached. Check your connection and try again.';
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
