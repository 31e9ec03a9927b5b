// Fetches a customer's media URL for sending, with the same SSRF policy as webhooks (public addresses only,
// checked after DNS, no redirects), a size cap and a timeout. Baileys then gets bytes, never the URL.
import { checkWebhookUrl, createGuardedConnector } from '@whatisup/ssrf-guard';
import { Agent, request } from 'undici';

export class MediaFetchError extends Error {
  readonly code = 'media_fetch_failed';
}

export interface MediaFetcher {
  fetch(url: string): Promise<{ data: Buffer; mimetype: string | null }>;
  close(): Promise<void>;
}

export function createMediaFetcher(options: {
  allowPrivate: boolean;
  maxBytes: number;
  timeoutMs: number;
}): MediaFetcher {
  const agent = new Agent({
    connect: createGuardedConnector({ allowPrivate: options.allowPrivate, connect: { timeout: 5_000 } }),
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
  });
  return {
    async fetch(url) {
      const check = checkWebhookUrl(url, { allowPrivate: options.allowPrivate });
      if (!check.ok) throw new MediaFetchError(`media URL refused: ${check.reason}`);
      let response: Awaited<ReturnType<typeof request>>;
      try {
        response = await request(check.url, {
          dispatcher: agent,
          method: 'GET',
          maxRedirections: 0,
        } as Parameters<typeof request>[1]);
      } catch (error) {
        throw new MediaFetchError(`could not fetch media: ${(error as Error).message}`);
      }
      if (response.statusCode < 200 || response.statusCode >= 300) {
        await response.body.dump();
        throw new MediaFetchError(`media URL answered HTTP ${response.statusCode}`);
      }
      const declared = Number(response.headers['content-length'] ?? 0);
      if (declared > options.maxBytes) {
        await response.body.dump();
        throw new MediaFetchError(`media is larger than ${options.maxBytes} bytes`);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of response.body) {
        size += (chunk as Buffer).length;
        if (size > options.maxBytes) {
          response.body.destroy();
          throw new MediaFetchError(`media is larger than ${options.maxBytes} bytes`);
        }
        chunks.push(chunk as Buffer);
      }
      const type = response.headers['content-type'];
      return {
        data: Buffer.concat(chunks),
        mimetype: typeof type === 'string' ? type.split(';')[0]!.trim() : null,
      };
    },
    close: () => agent.close(),
  };
}
