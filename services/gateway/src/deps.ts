// What the gateway app needs from the outside world; main.ts builds the real ones, tests their own.
import type { Bus } from '@whatisup/bus';
import type { Database, DbHandle, KeyPrincipal, SecretBox } from '@whatisup/db';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { RateLimiter } from './rate-limit/rate-limiter.ts';
import type { WorkerRegistry } from './workers/registry.ts';
import type { WorkerClient } from './workers/worker-client.ts';

export interface GatewayConfig {
  rateLimit: { burst: number; perSecond: number };
  apiKeyCacheTtlMs: number;
  maxBodyBytes: number;
  /** Also lets media URLs of sends point at private addresses (the worker fetches them). */
  webhookAllowPrivateTargets: boolean;
  /** Comment lines on idle /v1/events/stream connections (default 15 s). */
  eventStreamHeartbeatMs?: number;
  /** The database breaker's timings (see database-breaker.ts); defaults there. */
  database?: { waitMs?: number; probeIntervalMs?: number };
}

export interface GatewayDeps {
  db: Database;
  /** The handle behind `db` (Postgres or PGlite): readiness checks and the database breaker's probe. */
  dbHandle: DbHandle;
  /** Absent in one-machine mode without REDIS_URL (the rate limiter is in-process). */
  redis?: Redis;
  /** Request/reply, worker registry and the event log (NATS in the cluster, in-process in one-process mode). */
  bus: Bus;
  /** Request/reply to session workers (placement and instance commands). */
  workers: WorkerClient;
  workerRegistry: WorkerRegistry;
  rateLimiter: RateLimiter;
  secretBox: SecretBox;
  logger: Logger;
  config: GatewayConfig;
  /** Aborted when the process starts shutting down: long-lived responses (event streams) end on it. */
  shutdownSignal?: AbortSignal;
}

/** Per-request values set by middleware. */
export interface RequestVariables {
  correlationId: string;
  customerId: string;
  apiKeyId: string;
  principal: KeyPrincipal;
}

export type AppEnv = { Variables: RequestVariables };
