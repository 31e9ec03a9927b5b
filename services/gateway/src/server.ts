// The gateway's HTTP server on connections the caller made: main.ts runs it as its own process, the
// one-process mode (services/standalone) next to a worker and the delivery service.
import type { Bus } from '@whatisup/bus';
import type { DbHandle, SecretBox } from '@whatisup/db';
import { listen } from '@whatisup/service-kit';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { createApp } from './app.ts';
import type { GatewayEnv } from './env.ts';
import { FailoverRateLimiter } from './rate-limit/failover-rate-limiter.ts';
import { LocalTokenBucket } from './rate-limit/local-token-bucket.ts';
import type { RateLimiter } from './rate-limit/rate-limiter.ts';
import { RedisTokenBucket } from './rate-limit/redis-token-bucket.ts';
import { kvWorkerRegistry } from './workers/registry.ts';
import { WorkerClient } from './workers/worker-client.ts';

/** The rate limiter's Redis client: fails fast while Redis is away, so the limiter falls back to local buckets. */
export function connectRateLimitRedis(url: string, logger: Logger): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: 250,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  });
  redis.on('error', (error) => logger.debug({ err: error.message }, 'redis error'));
  return redis;
}

export interface GatewayServer {
  port: number;
  /** Where this machine reaches it (the wildcard addresses become 127.0.0.1). */
  url: string;
  /** Ends event streams, stops accepting connections and waits for the open requests. */
  stop(): Promise<void>;
}

export async function startGatewayServer(
  env: GatewayEnv,
  deps: {
    db: DbHandle;
    bus: Bus;
    /** Without Redis the token buckets live in this process (one-machine mode). */
    redis?: Redis | undefined;
    secretBox: SecretBox;
    logger: Logger;
  },
): Promise<GatewayServer> {
  const { logger, redis } = deps;
  const rateLimiter: RateLimiter = redis
    ? new FailoverRateLimiter(
        new RedisTokenBucket(redis, env.REDIS_KEY_PREFIX),
        new LocalTokenBucket(),
        logger,
      )
    : new LocalTokenBucket();
  const shuttingDown = new AbortController();
  const app = createApp({
    db: deps.db.db,
    dbHandle: deps.db,
    ...(redis ? { redis } : {}),
    bus: deps.bus,
    workers: new WorkerClient(deps.bus, { timeoutMs: env.WORKER_COMMAND_TIMEOUT_MS, logger }),
    workerRegistry: kvWorkerRegistry(deps.bus.registry, { ttlMs: env.WORKER_REGISTRY_TTL_MS }),
    rateLimiter,
    secretBox: deps.secretBox,
    logger,
    config: {
      rateLimit: { burst: env.RATE_LIMIT_BURST, perSecond: env.RATE_LIMIT_PER_SECOND },
      apiKeyCacheTtlMs: env.API_KEY_CACHE_TTL_MS,
      maxBodyBytes: env.MAX_BODY_BYTES,
      webhookAllowPrivateTargets: env.WEBHOOK_ALLOW_PRIVATE_TARGETS,
      database: { waitMs: env.DATABASE_WAIT_MS, probeIntervalMs: env.DATABASE_PROBE_INTERVAL_MS },
    },
    shutdownSignal: shuttingDown.signal,
  });
  const http = await listen(app.fetch, env.PORT, env.HOST);
  logger.info({ port: http.port, host: env.HOST }, `gateway listening on ${http.url}`);
  return {
    port: http.port,
    url: http.url,
    async stop() {
      shuttingDown.abort();
      await http.close();
    },
  };
}
