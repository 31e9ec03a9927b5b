// What the gateway app needs from the outside world; main.ts builds the real ones, tests their own.
import type { Database, KeyPrincipal, SecretBox, Sql } from '@whatisup/db';
import type { Redis } from 'ioredis';
import type { NatsConnection } from 'nats';
import type { Logger } from 'pino';
import type { RateLimiter } from './rate-limit/rate-limiter.ts';

export interface GatewayConfig {
  rateLimit: { burst: number; perSecond: number };
  apiKeyCacheTtlMs: number;
  maxBodyBytes: number;
  webhookAllowPrivateTargets: boolean;
}

export interface GatewayDeps {
  db: Database;
  sql: Sql;
  redis: Redis;
  nats: NatsConnection;
  rateLimiter: RateLimiter;
  secretBox: SecretBox;
  logger: Logger;
  config: GatewayConfig;
}

/** Per-request values set by middleware. */
export interface RequestVariables {
  correlationId: string;
  customerId: string;
  apiKeyId: string;
  principal: KeyPrincipal;
}

export type AppEnv = { Variables: RequestVariables };
