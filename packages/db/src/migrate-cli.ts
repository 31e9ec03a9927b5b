// `pnpm migrate`: applies migrations to DATABASE_URL and exits.
import { runMigrations } from './migrate.ts';

const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/whatisup';
const started = performance.now();
try {
  await runMigrations(url);
  console.log(
    `migrations applied to ${new URL(url).pathname.slice(1)} in ${Math.round(performance.now() - started)} ms`,
  );
} catch (error) {
  console.error(`migration failed: ${(error as Error).message}`);
  process.exitCode = 1;
}
