// Worker configuration: parsed once at start-up; a bad value stops the process naming the variable.
import { hostname } from 'node:os';
import { parseConfigWith } from '@whatisup/service-kit';
import { z } from 'zod';

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

export const envSchema = z.object({
  WORKER_ID: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and - only (it is part of NATS subjects)')
    .default(
      hostname()
        .replace(/[^A-Za-z0-9_-]/g, '-')
        .slice(0, 64),
    ),
  DATA_DIR: z.string().default('data'),
  MAX_SESSIONS_PER_WORKER: z.coerce.number().int().min(1).max(100_000).default(50),
  NATS_URL: z.string().default('nats://127.0.0.1:4222'),
  NATS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/)
    .default('wiu'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8082),
  HOST: z.string().default('0.0.0.0'),
  /** Point Baileys at a WhatsApp protocol simulator (wa-sim) instead of WhatsApp. Off by default. */
  WA_WEBSOCKET_URL: z.string().url().optional(),
  QR_TIMEOUT_MS: z.coerce.number().int().min(100).max(300_000).default(30_000),
  RECONNECT_BASE_MS: z.coerce.number().int().min(10).default(1_000),
  RECONNECT_MAX_MS: z.coerce.number().int().min(10).default(60_000),
  /** At most this many reconnects of one instance per RECONNECT_WINDOW_MS (protects the number from WhatsApp's limits). */
  RECONNECT_BUDGET: z.coerce.number().int().min(1).default(10),
  RECONNECT_WINDOW_MS: z.coerce.number().int().min(1_000).default(600_000),
  /** At most this many fresh QR pairings of one instance per QR_WINDOW_MS. */
  QR_SESSION_BUDGET: z.coerce.number().int().min(1).default(5),
  QR_WINDOW_MS: z.coerce.number().int().min(1_000).default(600_000),
  SEND_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
  /** How long a queued send waits for a dropped connection to come back before failing with not_connected. */
  SEND_QUEUE_WAIT_MS: z.coerce.number().int().min(0).default(120_000),
  MEDIA_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(64 * 1024 * 1024),
  MEDIA_ALLOW_PRIVATE_URLS: bool.default(false),
  HEARTBEAT_MS: z.coerce.number().int().min(100).default(5_000),
  REGISTRY_TTL_MS: z.coerce.number().int().min(1_000).default(15_000),
  /** A connected socket whose last keepalive is older than this fails the Baileys probe in /readyz. */
  KEEPALIVE_STALE_MS: z.coerce.number().int().min(1_000).default(90_000),
  EVENT_BUFFER_MAX: z.coerce.number().int().min(1).default(100_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  BAILEYS_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('warn'),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(25_000),
});

export type WorkerEnv = z.infer<typeof envSchema>;

export function parseEnv(source: Record<string, string | undefined>): WorkerEnv {
  return parseConfigWith(envSchema, source);
}
