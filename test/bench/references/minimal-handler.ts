// Reference for the gateway benchmark: GET /v1/instances/:id doing the gateway's work by hand on Hono and
// @hono/node-server, with no middleware: one map lookup of the hashed bearer key, the gateway's token-bucket
// Lua script, the gateway's instance query. The gap between this and the gateway is what our middleware,
// validation and logging cost.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { serve } from '@hono/node-server';
import { createDb, findInstance, findKeyPrincipalByHash, type KeyPrincipal } from '@whatisup/db';
import { Hono } from 'hono';
import { Redis } from 'ioredis';

const TOKEN_BUCKET_LUA = readFileSync(
  new URL('../../../services/gateway/src/rate-limit/token-bucket.lua', import.meta.url),
  'utf8',
);

interface WithTakeToken {
  takeToken(key: string, burst: number, perSecond: number): Promise<[number, number, number, number]>;
}

const { db, close } = createDb(process.env.DATABASE_URL!, { applicationName: 'whatisup-bench-minimal' });
const redis = new Redis(process.env.REDIS_URL!, {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  commandTimeout: 250,
}) as Redis & WithTakeToken;
redis.defineCommand('takeToken', { numberOfKeys: 1, lua: TOKEN_BUCKET_LUA });
const keyPrefix = process.env.REDIS_KEY_PREFIX!;

// Filled on first use and never expired: the cheapest possible key lookup.
const principals = new Map<string, KeyPrincipal | null>();

const app = new Hono();
app.get('/v1/instances/:id', async (c) => {
  const key = c.req.header('Authorization')?.slice('Bearer '.length) ?? '';
  const hash = createHash('sha256').update(key).digest('hex');
  let principal = principals.get(hash);
  if (principal === undefined) {
    principal = (await findKeyPrincipalByHash(db, hash)) ?? null;
    principals.set(hash, principal);
  }
  if (!principal || principal.revokedAt) return c.json({ error: 'unauthorized' }, 401);

  const burst = principal.rateLimitBurst ?? 60;
  const perSecond = principal.rateLimitPerSecond ?? 1;
  const [allowed] = await redis.takeToken(`${keyPrefix}rl:${principal.customerId}`, burst, perSecond);
  if (allowed !== 1) return c.json({ error: 'rate_limited' }, 429);

  const row = await findInstance(db, principal.customerId, c.req.param('id'));
  if (!row) return c.json({ error: 'not_found' }, 404);
  return c.json({
    id: row.id,
    name: row.name,
    status: row.status,
    phone: row.phone,
    push_name: row.pushName,
    last_error: row.lastErrorCode ? { code: row.lastErrorCode, message: row.lastError ?? '' } : null,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
    connected_at: row.connectedAt?.toISOString() ?? null,
  });
});

const server = serve({ fetch: app.fetch, port: Number(process.env.PORT), hostname: '127.0.0.1' });
process.on('SIGTERM', () =>
  server.close(async () => {
    await Promise.allSettled([redis.quit(), close()]);
    process.exit(0);
  }),
);
