// Replays the build stage of deploy/Dockerfile outside Docker: the build context after .dockerignore, then the
// stage's own RUN commands (pnpm from the local store, offline), then loads every service from the result. It
// proves what `docker build` cannot be asked here: that the production install keeps the workspace layout Node's
// type stripping needs, and that nothing the services import is a dev dependency. Skipped without pnpm on PATH.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { root } from './services.ts';

/** .dockerignore semantics: `**`, `*`, `?`, a rule also covers what is below it, `!` re-includes, last match wins. */
export function dockerignore(rules: string[]): (path: string) => boolean {
  const compiled = rules.map((rule) => {
    const negated = rule.startsWith('!');
    const pattern = (negated ? rule.slice(1) : rule).replace(/\/$/, '');
    let source = '';
    for (let i = 0; i < pattern.length; ) {
      if (pattern.startsWith('**/', i)) {
        source += '(?:.*/)?';
        i += 3;
      } else if (pattern.startsWith('**', i)) {
        source += '.*';
        i += 2;
      } else {
        const c = pattern[i] as string;
        source += c === '*' ? '[^/]*' : c === '?' ? '[^/]' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
        i += 1;
      }
    }
    return { negated, regex: new RegExp(`^${source}(?:/.*)?$`) };
  });
  return (path) => {
    let excluded = false;
    for (const { negated, regex } of compiled) if (regex.test(path)) excluded = !negated;
    return excluded;
  };
}

/** RUN instructions of one stage, continuation lines joined. */
function runInstructions(dockerfile: string, stage: string): string[] {
  const lines = dockerfile.replace(/\\\n/g, ' ').split('\n');
  const start = lines.findIndex((l) => new RegExp(`^FROM .* AS ${stage}$`).test(l));
  const end = lines.findIndex((l, i) => i > start && l.startsWith('FROM '));
  return lines
    .slice(start, end)
    .filter((l) => l.startsWith('RUN '))
    .map((l) => l.slice(4).trim());
}

const pnpm = spawnSync('pnpm', ['--version'], { encoding: 'utf8' });
const hasPnpm = pnpm.status === 0;
const dockerfile = readFileSync(join(root, 'deploy/Dockerfile'), 'utf8');
let app = '';

describe.skipIf(!hasPnpm)('the image build stage, replayed', () => {
  beforeAll(() => {
    app = mkdtempSync(join(tmpdir(), 'whatisup-image-'));
    const ignored = dockerignore(
      readFileSync(join(root, '.dockerignore'), 'utf8')
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith('#')),
    );
    // What `docker build .` would send: every file of the checkout (tracked or not; git-ignored ones are build
    // output, dependencies or local secrets), minus .dockerignore.
    const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
      cwd: root,
      encoding: 'utf8',
    }).split('\0');
    for (const file of files.filter((f) => f && !ignored(f) && existsSync(join(root, f)))) {
      mkdirSync(dirname(join(app, file)), { recursive: true });
      copyFileSync(join(root, file), join(app, file));
    }
    const store = execFileSync('pnpm', ['store', 'path'], { cwd: root, encoding: 'utf8' }).trim();
    for (const command of runInstructions(dockerfile, 'build')) {
      if (command.startsWith('npm install --global')) continue; // pnpm itself: already on PATH
      const local = command
        .replaceAll('/pnpm/store', store)
        .replaceAll("'/app/", `'${app}/`)
        .replace('pnpm fetch', 'pnpm fetch --offline');
      const run = spawnSync('sh', ['-c', local], {
        cwd: app,
        env: { ...process.env, CI: 'true' },
        encoding: 'utf8',
      });
      if (run.status !== 0) throw new Error(`${local}\n${run.stdout}\n${run.stderr}`);
    }
  }, 300_000);
  afterAll(() => {
    if (app) rmSync(app, { recursive: true, force: true });
  });

  test('the context leaves out tests, k8s, docs and secrets but keeps the image scripts', () => {
    expect(existsSync(join(app, 'deploy/image/healthcheck.ts'))).toBe(true);
    expect(existsSync(join(app, 'deploy/image/worker-entrypoint.sh'))).toBe(true);
    for (const gone of ['test', 'k8s', 'docs', 'deploy/compose.yaml', 'services/gateway/test', '.env'])
      expect(existsSync(join(app, gone)), gone).toBe(false);
  });

  test('workspace packages stay outside node_modules, linked from the services', () => {
    const link = execFileSync('readlink', [join(app, 'services/gateway/node_modules/@whatisup/db')], {
      encoding: 'utf8',
    }).trim();
    expect(link).toBe('../../../../packages/db');
    expect(existsSync(join(app, 'packages/dashboard/dist/index.html'))).toBe(true);
    const installed = readdirSync(join(app, 'node_modules/.pnpm'));
    for (const dev of ['vite@', 'vitest@', 'typescript@', 'drizzle-kit@', '@biomejs+biome@'])
      expect(
        installed.filter((name) => name.startsWith(dev)),
        'no dev dependency',
      ).toEqual([]);
    expect(installed.some((name) => name.startsWith('@whiskeysockets+baileys@'))).toBe(true);
  });

  test.each([
    ['gateway', 'services/gateway/src/main.ts'],
    ['delivery', 'services/delivery/src/main.ts'],
  ])('%s loads its whole module graph, then stops on the missing SECRETS_KEY', (_, main) => {
    const run = spawnSync(process.execPath, [main], {
      cwd: app,
      env: { PATH: process.env.PATH, NODE_ENV: 'production' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.stderr).toContain('SECRETS_KEY');
    expect(run.status).toBe(1);
  });

  test.each([
    ['worker', 'services/worker/src/worker.ts'],
    ['migrations', 'packages/db/src/migrate.ts'],
    ['wa-sim (demo)', 'packages/wa-sim/src/index.ts'],
  ])('%s loads its whole module graph', (_, module) => {
    const run = spawnSync(
      process.execPath,
      ['--input-type=module', '-e', `await import(${JSON.stringify(join(app, module))})`],
      {
        cwd: app,
        env: { PATH: process.env.PATH, NODE_ENV: 'production' },
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });
});
