// Bearer API key → customer. Unknown, malformed and revoked keys are 401 with a message that says which.
import { findKeyPrincipalByHash, touchApiKey } from '@whatisup/db';
import { createMiddleware } from 'hono/factory';
import { hashApiKey, looksLikeApiKey } from '../auth/api-key-format.ts';
import { KeyCache } from '../auth/key-cache.ts';
import type { AppEnv, GatewayDeps } from '../deps.ts';
import { ApiError } from '../errors.ts';

export function authenticate(deps: Pick<GatewayDeps, 'db' | 'logger' | 'config'>) {
  const cache = new KeyCache(deps.config.apiKeyCacheTtlMs);
  return createMiddleware<AppEnv>(async (c, next) => {
    const header = c.req.header('Authorization');
    if (!header)
      throw new ApiError(
        'unauthorized',
        'missing Authorization header: send "Authorization: Bearer <api key>"',
      );
    const match = /^Bearer +(\S+)$/i.exec(header);
    if (!match) throw new ApiError('unauthorized', 'Authorization header must be "Bearer <api key>"');
    const key = match[1]!;
    if (!looksLikeApiKey(key)) throw new ApiError('unauthorized', 'invalid API key');

    const hash = hashApiKey(key);
    const now = Date.now();
    let principal = cache.get(hash, now);
    if (principal === undefined) {
      principal = (await findKeyPrincipalByHash(deps.db, hash)) ?? null;
      cache.set(hash, principal, now);
      if (principal && !principal.revokedAt) {
        touchApiKey(deps.db, principal.keyId).catch((error: Error) =>
          deps.logger.warn({ err: error.message }, 'could not record API key use'),
        );
      }
    }
    if (!principal) throw new ApiError('unauthorized', 'invalid API key');
    if (principal.revokedAt) throw new ApiError('unauthorized', 'this API key has been revoked');

    c.set('customerId', principal.customerId);
    c.set('apiKeyId', principal.keyId);
    c.set('principal', principal);
    await next();
  });
}
