// Operator CLI: `pnpm admin <command>`. Talks to the database directly: Postgres at DATABASE_URL, or the
// embedded one in DATA_DIR/db.
import { parseArgs } from 'node:util';

const USAGE = `usage: pnpm admin <command> [options]

  customer:create --name <name> [--key-name <name>]   create a customer and a first API key (printed once)
  key:create --customer <cus_id> [--name <name>]      create an API key (printed once)
  key:list --customer <cus_id>                        list a customer's keys (prefixes only)
  key:revoke --key <key_id>                           revoke a key (effective within API_KEY_CACHE_TTL_MS)
  rate-limit:set --customer <cus_id> [--burst N] [--per-second R] [--clear]
                                                      override the token bucket (--clear: back to defaults)
`;

function fail(message: string): never {
  console.error(`error: ${message}\n\n${USAGE}`);
  process.exit(2);
}

const [command, ...rest] = process.argv.slice(2);
const { values } = (() => {
  try {
    return parseOptions(rest);
  } catch (error) {
    fail((error as Error).message);
  }
})();

function parseOptions(args: string[]) {
  return parseArgs({
    args,
    options: {
      name: { type: 'string' },
      'key-name': { type: 'string' },
      customer: { type: 'string' },
      key: { type: 'string' },
      burst: { type: 'string' },
      'per-second': { type: 'string' },
      clear: { type: 'boolean' },
    },
    strict: true,
  });
}

function positive(name: string, raw: string | undefined): number | null {
  if (raw === undefined) return null;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) fail(`--${name} must be a positive number`);
  return value;
}

// Everything the command line can get wrong is refused before touching the database.
const REQUIRED: Record<string, Array<keyof typeof values>> = {
  'customer:create': ['name'],
  'key:create': ['customer'],
  'key:list': ['customer'],
  'key:revoke': ['key'],
  'rate-limit:set': ['customer'],
};
if (!command) fail('no command');
const required = REQUIRED[command];
if (!required) fail(`unknown command "${command}"`);
for (const option of required) if (!values[option]) fail(`--${option} is required`);
const rateLimit =
  command !== 'rate-limit:set' || values.clear
    ? { burst: null, perSecond: null }
    : { burst: positive('burst', values.burst), perSecond: positive('per-second', values['per-second']) };
if (rateLimit.burst !== null && !Number.isInteger(rateLimit.burst)) fail('--burst must be a whole number');

// Loaded only now, so usage errors answer fast.
// DATABASE_URL names Postgres; without it, the embedded database of one-machine mode (DATA_DIR/db, which
// only one process may open at a time: stop `pnpm start` first).
const { listApiKeys, openDatabase } = await import('@whatisup/db');
const { createApiKey, createCustomer, revokeApiKey, setRateLimit } = await import('./admin/operations.ts');
const handle = await openDatabase({
  databaseUrl: process.env.DATABASE_URL || undefined,
  dataDir: process.env.DATA_DIR || 'data',
  options: { max: 2, applicationName: 'whatisup-admin' },
}).catch((error: Error) => {
  console.error(`error: ${error.message}`);
  process.exit(1);
});
await handle.migrate();
const { db } = handle;
const close = () => handle.close();
try {
  switch (command) {
    case 'customer:create': {
      if (!values.name) fail('--name is required');
      const customer = await createCustomer(db, values.name);
      const key = await createApiKey(db, customer.id, values['key-name'] ?? 'default');
      console.log(
        JSON.stringify({ customer_id: customer.id, api_key_id: key.id, api_key: key.key }, null, 2),
      );
      console.error('Store the API key now: it is shown only once.');
      break;
    }
    case 'key:create': {
      if (!values.customer) fail('--customer is required');
      const key = await createApiKey(db, values.customer, values.name ?? 'default').catch(() =>
        fail(`no customer ${values.customer}`),
      );
      console.log(JSON.stringify({ api_key_id: key.id, api_key: key.key }, null, 2));
      console.error('Store the API key now: it is shown only once.');
      break;
    }
    case 'key:list': {
      if (!values.customer) fail('--customer is required');
      const keys = await listApiKeys(db, values.customer);
      for (const k of keys) {
        console.log(
          `${k.id}  ${k.prefix}…  ${k.name}  ${k.revokedAt ? `revoked ${k.revokedAt.toISOString()}` : 'active'}`,
        );
      }
      break;
    }
    case 'key:revoke': {
      if (!values.key) fail('--key is required');
      if (!(await revokeApiKey(db, values.key))) fail(`no API key ${values.key}`);
      console.log(`revoked ${values.key}`);
      break;
    }
    case 'rate-limit:set': {
      if (!values.customer) fail('--customer is required');
      if (!(await setRateLimit(db, values.customer, rateLimit))) fail(`no customer ${values.customer}`);
      console.log(
        `rate limit for ${values.customer}: burst ${rateLimit.burst ?? 'default'}, ${rateLimit.perSecond ?? 'default'}/s`,
      );
      break;
    }
    default:
      fail(command ? `unknown command "${command}"` : 'no command');
  }
} finally {
  await close();
}
