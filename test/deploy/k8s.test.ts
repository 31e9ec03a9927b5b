// k8s/: every overlay renders (test/deploy/kustomize.ts, or kubectl when present), every object is valid for
// the Kubernetes API with no unknown field, and the manifests agree with the code they deploy.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { unknownFieldErrors, validateWithModels } from './kubernetes-schemas.ts';
import { type K8sObject, podContainers, podSpec, readYamlObjects, render } from './kustomize.ts';
import {
  commandOf,
  defaultPort,
  definedMetrics,
  envNames,
  httpRoutes,
  serviceOf,
  shutdownDefaultMs,
} from './services.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const overlays = ['dev', 'production'] as const;
const rendered = Object.fromEntries(
  overlays.map((o) => [o, render(join(root, 'k8s/overlays', o))]),
) as Record<(typeof overlays)[number], K8sObject[]>;
const dockerfile = readFileSync(join(root, 'deploy/Dockerfile'), 'utf8');
const compose = parse(readFileSync(join(root, 'deploy/compose.yaml'), 'utf8'), { merge: true });

// biome-ignore lint/suspicious/noExplicitAny: parsed YAML of known shape; the assertions are the type check
type Plain = Record<string, any>;
const find = (objects: K8sObject[], kind: string, name: string) => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`${kind}/${name} not rendered`);
  return found as Plain;
};
const workloads = (objects: K8sObject[]) =>
  objects.filter(
    (o) =>
      ['Deployment', 'StatefulSet'].includes(o.kind) &&
      o.metadata.labels?.['app.kubernetes.io/name'] === 'whatisup',
  ) as Plain[];
const pod = (workload: Plain | K8sObject): Plain => podSpec(workload as K8sObject) as Plain;
const configMap = (objects: K8sObject[], name: string) =>
  (find(objects, 'ConfigMap', name).data ?? {}) as Record<string, string>;
/** The variables a container gets: env entries plus the keys of the ConfigMaps it takes whole. */
const containerEnv = (objects: K8sObject[], container: Plain): Record<string, string | undefined> => {
  const env: Record<string, string | undefined> = {};
  for (const from of container.envFrom ?? []) Object.assign(env, configMap(objects, from.configMapRef.name));
  for (const e of container.env ?? []) env[e.name] = e.value;
  return env;
};

describe.each(overlays)('overlay %s', (overlay) => {
  const objects = rendered[overlay];

  test('renders and every object is valid for the Kubernetes API schemas', async () => {
    expect(objects.length).toBeGreaterThan(15);
    expect(await validateWithModels(objects)).toEqual([]);
  });

  test('no object has a field the API does not define', () => {
    expect(unknownFieldErrors(objects)).toEqual([]);
  }, 60_000);

  test('everything lands in the overlay namespace, and no Secret value is rendered', () => {
    const namespace = objects.find((o) => o.kind === 'Namespace');
    expect(namespace).toBeDefined();
    for (const o of objects.filter((o) => o.kind !== 'Namespace'))
      expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe(namespace?.metadata.name);
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
  });

  test('every env var a container sets exists in that service config schema', () => {
    for (const workload of workloads(objects)) {
      for (const container of pod(workload).containers.concat(pod(workload).initContainers ?? [])) {
        if (container.name === 'fix-data-ownership') continue;
        const service = serviceOf(container.args);
        const unknown = Object.keys(containerEnv(objects, container)).filter(
          (n) => !envNames(service).has(n),
        );
        expect(unknown, `${workload.metadata.name}/${container.name} (${service})`).toEqual([]);
      }
    }
  });

  test('every Secret reference is to whatisup-secrets with the keys of the documented example', () => {
    const [example] = readYamlObjects(join(root, 'k8s/examples/secret.example.yaml')) as Plain[];
    const keys = Object.keys(example?.stringData ?? {});
    for (const v of Object.values(example?.stringData ?? {})) expect(String(v)).toMatch(/<.+>/);
    for (const container of podContainers(objects) as Plain[]) {
      for (const e of container.env ?? []) {
        if (!e.valueFrom?.secretKeyRef) continue;
        expect(e.valueFrom.secretKeyRef.name).toBe('whatisup-secrets');
        expect(keys).toContain(e.valueFrom.secretKeyRef.key);
        expect(e.name).toBe(e.valueFrom.secretKeyRef.key);
      }
    }
    const worker = find(objects, 'StatefulSet', 'worker');
    expect(JSON.stringify(worker)).not.toContain('whatisup-secrets');
  });

  test('probes hit routes the service serves, on the port it listens on', () => {
    for (const workload of workloads(objects)) {
      for (const container of pod(workload).containers) {
        const service = serviceOf(container.args);
        const env = containerEnv(objects, container);
        const port = Number(env.PORT ?? defaultPort(service));
        const http = container.ports.find((p: Plain) => p.name === 'http');
        expect(http.containerPort, `${workload.metadata.name} containerPort = PORT`).toBe(port);
        const routes = httpRoutes(service);
        for (const kind of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
          const probe = container[kind];
          if (!probe) continue;
          expect(routes, `${workload.metadata.name} ${kind}`).toContain(probe.httpGet.path.split('?')[0]);
          expect([http.name, http.containerPort]).toContain(probe.httpGet.port);
        }
        expect(container.readinessProbe.httpGet.path).toMatch(/^\/readyz(\?scope=serving)?$/);
        expect(container.livenessProbe.httpGet.path).toBe('/healthz');
      }
    }
  });

  test('images and commands are the ones deploy/ builds and runs', () => {
    const image = overlay === 'dev' ? 'whatisup:dev' : 'registry.example.com/whatisup:0.1.0';
    for (const workload of workloads(objects)) {
      for (const container of podContainers([workload as K8sObject]) as Plain[]) {
        expect(container.image, `${workload.metadata.name}/${container.name}`).toBe(image);
        if (container.name === 'fix-data-ownership') continue;
        // args only: the image's ENTRYPOINT (tini) must stay PID 1.
        expect(container.command, `${workload.metadata.name}/${container.name}`).toBeUndefined();
        const service = serviceOf(container.args);
        expect(container.args).toEqual(commandOf(service));
        expect(dockerfile).toContain(container.args.join(' '));
        if (service !== 'worker' && service !== 'migrate')
          expect(compose.services[service].command).toEqual(container.args);
      }
    }
    expect(compose.services.migrate.command).toEqual(commandOf('migrate'));
  });

  test('pods run as the image user, read-only, without privileges', () => {
    const uid = Number(/useradd --uid (\d+)/.exec(dockerfile)?.[1]);
    const gid = Number(/groupadd --gid (\d+)/.exec(dockerfile)?.[1]);
    expect(dockerfile).toContain(`USER ${uid}:${gid}`);
    for (const workload of workloads(objects)) {
      const spec = pod(workload);
      expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: uid, runAsGroup: gid });
      expect(spec.automountServiceAccountToken).toBe(false);
      for (const c of podContainers([workload as K8sObject]) as Plain[]) {
        if (c.name === 'fix-data-ownership') continue;
        expect(c.securityContext, `${workload.metadata.name}/${c.name}`).toMatchObject({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          runAsNonRoot: true,
          capabilities: { drop: ['ALL'] },
        });
        expect(c.resources?.requests, `${c.name} requests`).toBeDefined();
      }
    }
  });

  test('the worker StatefulSet keeps sessions across restarts and shuts down within its grace period', () => {
    const worker = find(objects, 'StatefulSet', 'worker');
    const spec = podSpec(worker as K8sObject) as Plain;
    const gid = Number(/groupadd --gid (\d+)/.exec(dockerfile)?.[1]);
    expect(worker.spec.podManagementPolicy).toBe('Parallel');
    expect(worker.spec.serviceName).toBe('worker');
    expect(find(objects, 'Service', 'worker').spec.clusterIP).toBe('None');
    expect(spec.securityContext).toMatchObject({ fsGroup: gid, fsGroupChangePolicy: 'OnRootMismatch' });
    const container = spec.containers[0];
    const env = containerEnv(objects, container);
    const data = container.volumeMounts.find((m: Plain) => m.mountPath === env.DATA_DIR);
    expect(data, 'a volume at DATA_DIR').toBeDefined();
    expect(worker.spec.volumeClaimTemplates.map((t: Plain) => t.metadata.name)).toContain(data.name);
    expect(env.MAX_SESSIONS_PER_WORKER).toMatch(/^\d+$/);
    expect(container.env.find((e: Plain) => e.name === 'WORKER_ID').valueFrom.fieldRef.fieldPath).toBe(
      'metadata.name',
    );
    expect(container.startupProbe).toBeDefined();
    expect(worker.spec.persistentVolumeClaimRetentionPolicy.whenScaled).toBe('Retain');
    expect(find(objects, 'PodDisruptionBudget', 'worker').spec.maxUnavailable).toBe(1);
  });

  test('every grace period covers preStop plus the service shutdown bound', () => {
    for (const workload of workloads(objects)) {
      const spec = pod(workload);
      const container = spec.containers[0];
      const service = serviceOf(container.args);
      const shutdownMs = Number(
        containerEnv(objects, container).SHUTDOWN_TIMEOUT_MS ?? shutdownDefaultMs(service),
      );
      const preStop = Number(container.lifecycle?.preStop?.exec?.command?.[1] ?? 0);
      expect(spec.terminationGracePeriodSeconds, workload.metadata.name).toBeGreaterThan(
        preStop + shutdownMs / 1000,
      );
    }
  });

  test('gateway: zero-downtime rollout, HPA on CPU (and requests/s in production), PDBs select real pods', () => {
    const gateway = find(objects, 'Deployment', 'gateway');
    expect(gateway.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
    expect(gateway.spec.replicas, 'the HPA owns the count').toBeUndefined();
    const hpa = find(objects, 'HorizontalPodAutoscaler', 'gateway');
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec.metrics.map((m: Plain) => m.resource?.name ?? m.object?.metric.name)).toEqual(
      overlay === 'production' ? ['cpu', 'requests_per_second'] : ['cpu'],
    );
    for (const name of ['gateway', 'worker', 'delivery']) {
      const pdb = find(objects, 'PodDisruptionBudget', name);
      const pods = workloads(objects).find((w) => w.metadata.name === name);
      expect(pods?.spec.template.metadata.labels).toMatchObject(pdb.spec.selector.matchLabels);
    }
    for (const service of objects.filter((o) => o.kind === 'Service') as Plain[]) {
      const pods = (workloads(objects) as Plain[])
        .concat(objects.filter((o) => o.kind === 'StatefulSet') as Plain[])
        .find((w) =>
          Object.entries(service.spec.selector).every(([k, v]) => w.spec.template.metadata.labels[k] === v),
        );
      expect(pods, `Service/${service.metadata.name} selects pods`).toBeDefined();
      const ports = pods?.spec.template.spec.containers.flatMap((c: Plain) =>
        c.ports.map((p: Plain) => p.name),
      );
      for (const port of service.spec.ports) expect(ports).toContain(port.targetPort);
    }
  });

  test('network policies: deny by default, only the gateway open to everyone', () => {
    const policies = objects.filter((o) => o.kind === 'NetworkPolicy') as Plain[];
    const deny = policies.find((p) => p.metadata.name === 'default-deny');
    expect(deny?.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    const openIngress = policies.filter((p) => (p.spec.ingress ?? []).some((rule: Plain) => !rule.from));
    expect(openIngress.map((p) => p.metadata.name)).toEqual(['gateway']);
    const worker = policies.find((p) => p.metadata.name === 'worker');
    const ports = worker?.spec.egress.flatMap((rule: Plain) => rule.ports.map((p: Plain) => p.port)).sort();
    expect(ports).toEqual([4222, 443, 80].sort());
  });
});

describe('overlay differences', () => {
  test('dev opts into the ownership-fixing init container; production does not and uses KEDA and monitoring', () => {
    const initNames = (o: K8sObject[]) =>
      (pod(find(o, 'StatefulSet', 'worker')).initContainers ?? []).map((c: Plain) => c.name);
    expect(initNames(rendered.dev)).toEqual(['fix-data-ownership']);
    expect(initNames(rendered.production)).toEqual([]);
    const kinds = (o: K8sObject[]) => new Set(o.map((x) => x.kind));
    for (const kind of ['ServiceMonitor', 'PrometheusRule', 'ScaledObject']) {
      expect(kinds(rendered.production).has(kind)).toBe(true);
      expect(kinds(rendered.dev).has(kind)).toBe(false);
    }
    expect(
      find(rendered.production, 'StatefulSet', 'worker').spec.replicas,
      'KEDA owns the count',
    ).toBeUndefined();
  });

  test('KEDA scales workers up on session capacity and never down', () => {
    const scaled = find(rendered.production, 'ScaledObject', 'worker');
    expect(scaled.spec.scaleTargetRef).toMatchObject({ kind: 'StatefulSet', name: 'worker' });
    expect(scaled.spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown.selectPolicy).toBe(
      'Disabled',
    );
    expect(scaled.spec.triggers[0].metadata.query).toContain('whatisup_worker_capacity');
    // The query computes the desired worker count; only AverageValue turns it into replicas as is.
    expect(scaled.spec.triggers[0].metricType).toBe('AverageValue');
    expect(scaled.spec.triggers[0].metadata.threshold).toBe('1');
  });

  test('alerts: the four the runbook explains, on metrics the services export', () => {
    const rule = find(rendered.production, 'PrometheusRule', 'whatisup');
    const rules = rule.spec.groups.flatMap((g: Plain) => g.rules);
    expect(rules.map((r: Plain) => r.alert)).toEqual([
      'WhatIsUpWorkersNearCapacity',
      'WhatIsUpWebhookFailuresRising',
      'WhatIsUpSessionInvalidationsSpiking',
      'WhatIsUpReadinessFlapping',
    ]);
    const operations = readFileSync(join(root, 'docs/operations.md'), 'utf8');
    const metrics = definedMetrics();
    const queries = [
      ...rules.map((r: Plain) => r.expr),
      find(rendered.production, 'ScaledObject', 'worker').spec.triggers[0].metadata.query,
    ];
    for (const query of queries) {
      for (const [name] of query.matchAll(/whatisup_[a-z_]+/g)) expect(metrics, query).toContain(name);
    }
    for (const r of rules) expect(operations).toContain(r.alert);
    for (const monitor of rendered.production.filter((o) => o.kind === 'ServiceMonitor') as Plain[]) {
      const service = find(rendered.production, 'Service', monitor.metadata.name);
      expect(service.spec.ports.map((p: Plain) => p.name)).toContain(monitor.spec.endpoints[0].port);
    }
  });

  test('the unknown-field check does catch a misspelt field', () => {
    const worker = structuredClone(find(rendered.production, 'StatefulSet', 'worker')) as K8sObject;
    const [container] = pod(worker).containers as Plain[];
    if (container) container.readinesProbe = { httpGet: { path: '/readyz', port: 'http' } };
    expect(unknownFieldErrors([worker]).join('\n')).toContain('readinesProbe');
  }, 60_000);

  const kubectl = (() => {
    try {
      execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  test.skipIf(!kubectl).each(overlays)('kubectl kustomize %s renders the same objects', (overlay) => {
    const output = execFileSync('kubectl', ['kustomize', join(root, 'k8s/overlays', overlay)], {
      encoding: 'utf8',
    });
    const theirs = output
      .split(/^---$/m)
      .map((doc) => parse(doc))
      .filter(Boolean);
    const key = (o: K8sObject) => `${o.kind}/${o.metadata.name}`;
    const sorted = (list: K8sObject[]) => [...list].sort((a, b) => key(a).localeCompare(key(b)));
    expect(sorted(theirs)).toEqual(sorted(rendered[overlay]));
  });
});
