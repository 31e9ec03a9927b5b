// deploy/compose.yaml, deploy/Dockerfile and .dockerignore, statically: services, volumes, health-checked
// ordering, env vars and ports against the code (no Docker engine runs here).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_PORTS, servicePort } from '../../deploy/image/healthcheck.ts';
import { commandOf, defaultPort, envNames, root, serviceOf } from './services.ts';

// biome-ignore lint/suspicious/noExplicitAny: parsed YAML of known shape; the assertions are the type check
type Plain = Record<string, any>;
const compose = parse(readFileSync(join(root, 'deploy/compose.yaml'), 'utf8'), { merge: true }) as Plain;
const services = compose.services as Record<string, Plain>;
const dockerfile = readFileSync(join(root, 'deploy/Dockerfile'), 'utf8');
const entrypoint = readFileSync(join(root, 'deploy/image/worker-entrypoint.sh'), 'utf8');
const ours = Object.keys(services).filter((name) => services[name]?.image?.includes('whatisup'));
const workers = ours.filter((name) => name.startsWith('worker-'));

describe('compose', () => {
  test('has the stack: Postgres, Redis, NATS with JetStream, migrations, gateway, two workers, delivery', () => {
    expect(Object.keys(services).sort()).toEqual(
      [
        'delivery',
        'gateway',
        'migrate',
        'nats',
        'postgres',
        'redis',
        'wa-sim',
        'worker-1',
        'worker-2',
      ].sort(),
    );
    expect(services.nats?.command).toContain('--jetstream');
    for (const name of ['postgres', 'redis', 'nats']) {
      const volume = String(services[name]?.volumes?.[0]).split(':')[0] as string;
      expect(Object.keys(compose.volumes), `${name} keeps its data`).toContain(volume);
    }
  });

  test('wa-sim runs only in the demo profile; nothing else has a profile', () => {
    expect(services['wa-sim']?.profiles).toEqual(['demo']);
    for (const name of Object.keys(services).filter((n) => n !== 'wa-sim'))
      expect(services[name]?.profiles).toBeUndefined();
    expect(services['wa-sim']?.command.slice(0, 2)).toEqual(['node', 'packages/wa-sim/src/cli.ts']);
  });

  test('every worker has its own volume at DATA_DIR and its own WORKER_ID', () => {
    expect(workers).toHaveLength(2);
    const volumes = workers.map((name) => {
      const w = services[name] as Plain;
      const [volume, target] = String(w.volumes[0]).split(':');
      expect(target, name).toBe(w.environment.DATA_DIR);
      expect(Object.keys(compose.volumes)).toContain(volume);
      return volume;
    });
    expect(new Set(volumes).size).toBe(2);
    expect(new Set(workers.map((name) => services[name]?.environment.WORKER_ID)).size).toBe(2);
  });

  test('migrations run once, before the services that use Postgres; every dependency is health-checked', () => {
    expect(services.migrate?.command).toEqual(commandOf('migrate'));
    expect(services.migrate?.restart).toBe('no');
    for (const name of ['gateway', 'delivery']) {
      expect(services[name]?.depends_on.migrate.condition).toBe('service_completed_successfully');
      expect(services[name]?.environment.MIGRATE_ON_START).toBe('false');
    }
    for (const [name, service] of Object.entries(services)) {
      for (const [dependency, { condition }] of Object.entries(
        (service.depends_on ?? {}) as Record<string, Plain>,
      )) {
        if (dependency === 'migrate') continue;
        expect(condition, `${name} → ${dependency}`).toBe('service_healthy');
        expect(services[dependency]?.healthcheck?.test, `${dependency} has a healthcheck`).toBeDefined();
        expect(services[dependency]?.healthcheck?.disable).toBeUndefined();
      }
    }
  });

  test('every env var set exists in that service config schema', () => {
    // Read by deploy/image/worker-entrypoint.sh before the worker starts, not by the worker itself.
    const entrypointVars = new Set([...entrypoint.matchAll(/\$\{?(WA_SIM_URL)\b/g)].map((m) => m[1]));
    for (const name of ours.filter((n) => n !== 'wa-sim')) {
      const service = serviceOf(services[name]?.command);
      const allowed = envNames(service);
      const unknown = Object.keys(services[name]?.environment ?? {}).filter(
        (v) => !allowed.has(v) && !(service === 'worker' && entrypointVars.has(v)),
      );
      expect(unknown, name).toEqual([]);
    }
    const cli = readFileSync(join(root, 'packages/wa-sim/src/cli.ts'), 'utf8');
    for (const v of Object.keys(services['wa-sim']?.environment ?? {}))
      expect(cli).toContain(`process.env.${v}`);
  });

  test('ports and commands match the code', () => {
    for (const name of ['gateway', 'delivery', ...workers]) {
      const s = services[name] as Plain;
      const service = serviceOf(s.command);
      expect(Number(s.environment.PORT), name).toBe(defaultPort(service));
      if (service !== 'worker') expect(s.command).toEqual(commandOf(service));
    }
    // biome-ignore lint/suspicious/noTemplateCurlyInString: compose's own interpolation syntax
    expect(services.gateway?.ports).toEqual(['${GATEWAY_PORT:-8080}:8080']);
    for (const name of ours)
      expect(
        existsSync(
          join(
            root,
            services[name]?.command.find((a: string) => /\.(ts|sh)$/.test(a)),
          ),
        ),
        name,
      ).toBe(true);
    // The worker entrypoint ends in the same start command as everywhere else.
    expect(entrypoint).toContain('cd "$(dirname "$0")/../../services/worker"');
    expect(entrypoint).toMatch(/^\s*exec node src\/main\.ts$/m);
    expect(entrypoint).toMatch(/^exec node --import @whatisup\/wa-sim\/trust src\/main\.ts$/m);
  });

  test('every variable compose interpolates is documented in deploy/.env.example', () => {
    const text = readFileSync(join(root, 'deploy/compose.yaml'), 'utf8');
    const example = readFileSync(join(root, 'deploy/.env.example'), 'utf8');
    const used = new Set([...text.matchAll(/\$\{([A-Z_]+)/g)].map((m) => m[1] as string));
    expect(used.size).toBeGreaterThan(3);
    for (const name of used) expect(example, name).toMatch(new RegExp(`^#? ?${name}=`, 'm'));
  });

  test('only the gateway (and the demo simulator) publish ports; the app runs as the image user', () => {
    expect(
      Object.keys(services)
        .filter((n) => services[n]?.ports)
        .sort(),
    ).toEqual(['gateway', 'wa-sim']);
    for (const name of ours) {
      expect(services[name]?.user, name).toBe('10001:10001');
      expect(services[name]?.read_only, name).toBe(true);
      expect(services[name]?.build.dockerfile).toBe('deploy/Dockerfile');
    }
  });
});

describe('image', () => {
  test('node 24 slim, production dependencies only, non-root numeric user, tini, healthcheck, OCI labels', () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:24-slim$/m);
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(dockerfile).toContain(`ARG PNPM_VERSION=${pkg.packageManager.replace('pnpm@', '')}`);
    expect(dockerfile).toMatch(/pnpm install --offline --frozen-lockfile --prod/);
    expect(dockerfile).toMatch(/^USER \d+:\d+$/m);
    expect(dockerfile).toContain('ENTRYPOINT ["/usr/bin/tini", "--"]');
    expect(dockerfile).toMatch(/^HEALTHCHECK .* CMD \["node", "\/app\/deploy\/image\/healthcheck\.ts"\]$/m);
    for (const label of ['title', 'source', 'version', 'revision', 'created'])
      expect(dockerfile).toContain(`org.opencontainers.image.${label}=`);
    // pnpm deploy would copy workspace packages under node_modules, where Node does not strip types.
    expect(dockerfile).not.toMatch(/^RUN .*pnpm deploy/m);
  });

  test('the healthcheck knows each service default port', () => {
    for (const service of ['gateway', 'delivery', 'worker'] as const)
      expect(DEFAULT_PORTS[service], service).toBe(defaultPort(service));
    expect(servicePort({}, '/usr/bin/tini -- node services/delivery/src/main.ts')).toBe(8081);
    expect(servicePort({}, '/usr/bin/tini -- deploy/image/worker-entrypoint.sh')).toBe(8082);
    expect(servicePort({ PORT: '9000' }, '/usr/bin/tini -- node services/gateway/src/main.ts')).toBe(9000);
    expect(servicePort({}, '/usr/bin/tini -- node packages/db/src/migrate-cli.ts')).toBeUndefined();
  });

  test('.dockerignore keeps sources, the lockfile and the image scripts; drops tests, secrets and node_modules', () => {
    const rules = readFileSync(join(root, '.dockerignore'), 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    for (const rule of [
      '**/node_modules',
      '.env',
      '**/.env',
      '.git',
      'test',
      '**/test',
      'k8s',
      'deploy',
      '!deploy/image',
    ])
      expect(rules).toContain(rule);
    for (const kept of ['services', 'packages', 'pnpm-lock.yaml', 'package.json', 'pnpm-workspace.yaml'])
      expect(rules.filter((r) => r === kept || (r.startsWith(`${kept}/`) && !r.includes('*')))).toEqual([]);
  });
});
