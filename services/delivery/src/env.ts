// Delivery service configuration: parsed once at start-up; a bad value stops the process naming the variable.
import { parseConfigWith } from '@whatisup/service-kit';
import { z } from 'zod';

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** Milliseconds before each attempt: the first is immediate, then about 5 s, 5 min, 30 min, 2 h, 5 h. */
export const DEFAULT_SCHEDULE_MS = [0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000];

const schedule = z
  .string()
  .transform((text, ctx) => {
    const values = text.split(',').map((part) => Number(part.trim()));
    if (values.length === 0 || values.some((v) => !Number.isInteger(v) || v < 0 || v > 7 * 86_400_000)) {
      ctx.addIssue({
        code: 'custom',
        message: 'expected comma-separated delays in milliseconds (whole numbers, at most 7 days each)',
      });
      return z.NEVER;
    }
    return values;
  })
  .refine((values) => values.length >= 1 && values.length <= 20, 'between 1 and 20 attempts')
  .refine((values) => values[0] === 0, 'the first attempt is immediate: the first value must be 0');

export const envSchema = z
  .object({
    PORT: int(0, 65535).default(8081),
    HOST: z.string().default('0.0.0.0'),
    DATABASE_URL: z.string().url().default('postgres://postgres@127.0.0.1:5432/whatisup'),
    DATABASE_POOL_MAX: int(2, 200).default(10),
    NATS_URL: z.string().default('nats://127.0.0.1:4222'),
    NATS_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/)
      .default('wiu'),
    SECRETS_KEY: z
      .string()
      .min(1, 'SECRETS_KEY is required: 32 random bytes, base64 (openssl rand -base64 32)'),
    WEBHOOK_ALLOW_PRIVATE_TARGETS: bool.default(false),
    MIGRATE_ON_START: bool.default(true),
    DELIVERY_SCHEDULE_MS: schedule.default(DEFAULT_SCHEDULE_MS),
    DELIVERY_JITTER: z.coerce.number().min(0).max(0.9).default(0.2),
    DELIVERY_CONCURRENCY: int(1, 10_000).default(256),
    DELIVERY_ENDPOINT_CONCURRENCY: int(1, 1_000).default(32),
    DELIVERY_CLAIM_BATCH: int(1, 5_000).default(500),
    DELIVERY_POLL_INTERVAL_MS: int(10, 60_000).default(1_000),
    DELIVERY_CONNECT_TIMEOUT_MS: int(100, 60_000).default(5_000),
    DELIVERY_RESPONSE_TIMEOUT_MS: int(100, 120_000).default(15_000),
    DELIVERY_LEASE_MS: int(1_000, 3_600_000).default(60_000),
    DELIVERY_EVENT_BATCH: int(1, 5_000).default(500),
    DELIVERY_ACK_WAIT_MS: int(1_000, 3_600_000).default(30_000),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    SHUTDOWN_TIMEOUT_MS: int(0, 600_000).default(25_000),
  })
  .refine(
    (env) => env.DELIVERY_LEASE_MS > env.DELIVERY_CONNECT_TIMEOUT_MS + 2 * env.DELIVERY_RESPONSE_TIMEOUT_MS,
    {
      path: ['DELIVERY_LEASE_MS'],
      message:
        'must exceed DELIVERY_CONNECT_TIMEOUT_MS + 2 × DELIVERY_RESPONSE_TIMEOUT_MS (the longest an attempt can take)',
    },
  );

export type DeliveryEnv = z.infer<typeof envSchema>;

export function parseEnv(source: Record<string, string | undefined>): DeliveryEnv {
  return parseConfigWith(envSchema, source);
}
