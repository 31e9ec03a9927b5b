// Gateway configuration: parsed once at start-up; a bad value stops the process naming the variable.
import { parseConfigWith } from '@whatisup/service-kit';
import { z } from 'zod';

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

export const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().default('0.0.0.0'),
  DATABASE_URL: z.string().url().default('postgres://postgres@127.0.0.1:5432/whatisup'),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
  /** A request running this long makes the gateway probe Postgres; unreachable → 503 database_unavailable. */
  DATABASE_WAIT_MS: z.coerce.number().int().min(100).max(60_000).default(2_000),
  /** How often the gateway probes Postgres while it answers 503 database_unavailable. */
  DATABASE_PROBE_INTERVAL_MS: z.coerce.number().int().min(100).max(60_000).default(1_000),
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  REDIS_KEY_PREFIX: z.string().default('wiu:'),
  NATS_URL: z.string().default('nats://127.0.0.1:4222'),
  NATS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/)
    .default('wiu'),
  SECRETS_KEY: z
    .string()
    .min(1, 'SECRETS_KEY is required: 32 random bytes, base64 (openssl rand -base64 32)'),
  RATE_LIMIT_BURST: z.coerce.number().int().min(1).max(1_000_000).default(60),
  RATE_LIMIT_PER_SECOND: z.coerce.number().positive().max(1_000_000).default(1),
  API_KEY_CACHE_TTL_MS: z.coerce.number().int().min(0).max(60_000).default(5_000),
  MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(50 * 1024 * 1024)
    .default(1024 * 1024),
  WORKER_COMMAND_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  WORKER_REGISTRY_TTL_MS: z.coerce.number().int().min(1_000).max(600_000).default(15_000),
  WEBHOOK_ALLOW_PRIVATE_TARGETS: bool.default(false),
  MIGRATE_ON_START: bool.default(true),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(20_000),
});

export type GatewayEnv = z.infer<typeof envSchema>;

export function parseEnv(source: Record<string, string | undefined>): GatewayEnv {
  return parseConfigWith(envSchema, source);
}
