// `pnpm start`: the whole product in one process (services/standalone). With nothing configured it runs on
// embedded adapters (PGlite in data/db, the in-process bus, the in-process rate limiter); DATABASE_URL,
// REDIS_URL and NATS_URL switch each one to the cluster service. `--check` prints the mode and exits.
await import('../services/standalone/src/main.ts');
