// One-process configuration. Nothing is required: every cluster service that is not named is replaced by its
// embedded twin (DATABASE_URL → PGlite in DATA_DIR/db, NATS_URL → the in-process bus, REDIS_URL → the
// in-process token bucket). The services' own variables (RATE_LIMIT_*, DELIVERY_*, QR_TIMEOUT_MS, …) keep their
// meaning and defaults: they are read by each service's own parser.
import { isAbsolute, resolve } from 'node:path';
import { parseConfigWith } from '@whatisup/service-kit';
import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65535);
const url = (protocols: string[]) =>
  z
    .string()
    .url()
    .refine(
      (value) => URL.canParse(value) && protocols.includes(new URL(value).protocol),
      `expected a ${protocols.join(' or ')} URL`,
    )
    .optional();

export const configSchema = z.object({
  DATA_DIR: z.string().min(1).default('data'),
  PORT: port.default(8080),
  HOST: z.string().min(1).default('0.0.0.0'),
  /** Health and metrics of the embedded worker and delivery service, on 127.0.0.1 (0: any free port). */
  WORKER_PORT: port.default(8082),
  DELIVERY_PORT: port.default(8081),
  DATABASE_URL: url(['postgres:', 'postgresql:']),
  REDIS_URL: url(['redis:', 'rediss:']),
  NATS_URL: z.string().min(1).optional(),
  NATS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/)
    .default('wiu'),
  WORKER_ID: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/)
    .default('local'),
  SECRETS_KEY: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(25_000),
});

export type StandaloneConfig = z.infer<typeof configSchema> & { dataDir: string };

export function parseConfig(
  source: Record<string, string | undefined>,
  cwd = process.cwd(),
): StandaloneConfig {
  // An empty variable (DATABASE_URL= in a .env) means "not set", as in the services.
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== ''));
  const config = parseConfigWith(configSchema, cleaned);
  const dataDir = isAbsolute(config.DATA_DIR) ? config.DATA_DIR : resolve(cwd, config.DATA_DIR);
  return { ...config, dataDir };
}

/** A URL as it may be printed: without its password. */
export function redact(value: string): string {
  try {
    const parsed = new URL(value);
    if (parsed.password) parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return value;
  }
}

export function describeMode(config: StandaloneConfig): string[] {
  return [
    config.DATABASE_URL
      ? `database: Postgres at ${redact(config.DATABASE_URL)}`
      : `database: embedded database (PGlite) in ${config.dataDir}/db`,
    config.NATS_URL
      ? `bus: NATS at ${redact(config.NATS_URL)} (prefix ${config.NATS_PREFIX})`
      : 'bus: in-process bus (events kept in the database)',
    config.REDIS_URL
      ? `rate limit: Redis at ${redact(config.REDIS_URL)}`
      : 'rate limit: in-process rate limiter',
  ];
}
