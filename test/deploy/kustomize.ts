// Renders k8s/ overlays without kubectl: the subset of kustomize that k8s/ uses, and an error for anything else,
// so a kustomization that uses a feature this file cannot render faithfully fails the tests instead of being
// rendered wrong. Supported: `resources` (files and kustomization directories), `components` (kind: Component),
// `namespace`, `labels` (pairs on metadata only), `images` (newName, newTag) and `patches` with a path to a
// strategic-merge patch. Strategic merge as Kubernetes does it for what k8s/ patches: maps merge, `null` deletes
// a field, the named lists containers / initContainers / env / volumes merge by `name` (`$patch: delete` removes
// an item), every other list is replaced. With kubectl at hand, `kubectl kustomize k8s/overlays/<name>` must
// give the same objects (test/deploy/k8s.test.ts compares them when kubectl is on PATH).
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [key: string]: unknown };
  [key: string]: unknown;
}

type Kustomization = {
  apiVersion?: string;
  kind?: string;
  resources?: string[];
  components?: string[];
  namespace?: string;
  labels?: { pairs: Record<string, string>; includeSelectors?: boolean; includeTemplates?: boolean }[];
  images?: { name: string; newName?: string; newTag?: string }[];
  patches?: { path?: string; target?: unknown; patch?: string }[];
};

const SUPPORTED_FIELDS = new Set([
  'apiVersion',
  'kind',
  'resources',
  'components',
  'namespace',
  'labels',
  'images',
  'patches',
]);
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'StorageClass']);
const NAMED_LISTS = new Set(['containers', 'initContainers', 'env', 'volumes']);
const POD_TEMPLATE_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job']);

type Plain = Record<string, unknown>;
const isPlain = (value: unknown): value is Plain =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export function readYamlObjects(path: string): K8sObject[] {
  return parseAllDocuments(readFileSync(path, 'utf8'))
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`${path}: ${doc.errors[0]?.message}`);
      return doc.toJS() as K8sObject | null;
    })
    .filter((object): object is K8sObject => object !== null);
}

function readKustomization(dir: string, kind: 'Kustomization' | 'Component'): Kustomization {
  const [k] = readYamlObjects(join(dir, 'kustomization.yaml')) as unknown as Kustomization[];
  if (!k) throw new Error(`${dir}: empty kustomization.yaml`);
  if (k.kind !== kind) throw new Error(`${dir}: expected kind ${kind}, got ${k.kind}`);
  for (const field of Object.keys(k)) {
    if (!SUPPORTED_FIELDS.has(field))
      throw new Error(`${dir}: kustomization field "${field}" is not supported`);
  }
  for (const label of k.labels ?? []) {
    if (label.includeSelectors || label.includeTemplates)
      throw new Error(`${dir}: labels with includeSelectors/includeTemplates are not supported`);
  }
  for (const patch of k.patches ?? []) {
    if (!patch.path || patch.target || patch.patch)
      throw new Error(`${dir}: only patches with a path to a strategic-merge patch file are supported`);
  }
  return k;
}

/** Renders the kustomization in `dir` (an overlay or the base) to its list of objects. */
export function render(dir: string): K8sObject[] {
  return build(resolve(dir), 'Kustomization');
}

function build(dir: string, kind: 'Kustomization' | 'Component', input: K8sObject[] = []): K8sObject[] {
  const k = readKustomization(dir, kind);
  let objects = [...input];
  for (const resource of k.resources ?? []) {
    const path = resolve(dir, resource);
    objects.push(...(statSync(path).isDirectory() ? build(path, 'Kustomization') : readYamlObjects(path)));
  }
  for (const component of k.components ?? []) objects = build(resolve(dir, component), 'Component', objects);
  for (const patch of k.patches ?? []) {
    for (const p of readYamlObjects(resolve(dir, patch.path as string)))
      objects = applyPatch(objects, p, dir);
  }
  if (k.namespace) {
    for (const object of objects) {
      if (!CLUSTER_SCOPED.has(object.kind)) object.metadata.namespace = k.namespace;
    }
  }
  for (const label of k.labels ?? []) {
    for (const object of objects) object.metadata.labels = { ...object.metadata.labels, ...label.pairs };
  }
  for (const image of k.images ?? []) {
    for (const container of podContainers(objects)) {
      const [name, tag] = splitImage(container.image as string);
      if (name !== image.name) continue;
      container.image = `${image.newName ?? name}${(image.newTag ?? tag) ? `:${image.newTag ?? tag}` : ''}`;
    }
  }
  const seen = new Set<string>();
  for (const object of objects) {
    const id = objectId(object);
    if (seen.has(id)) throw new Error(`${dir}: ${id} is defined twice`);
    seen.add(id);
  }
  return objects;
}

export function objectId(object: K8sObject): string {
  return `${object.apiVersion.split('/').slice(0, -1).join('/') || 'core'}/${object.kind}/${object.metadata.name}`;
}

function splitImage(image: string): [string, string | undefined] {
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  return colon > slash ? [image.slice(0, colon), image.slice(colon + 1)] : [image, undefined];
}

/** Every container and init container of every pod template. */
export function podContainers(objects: K8sObject[]): Plain[] {
  return objects.flatMap((object) => {
    if (!POD_TEMPLATE_KINDS.has(object.kind)) return [];
    const spec = podSpec(object);
    return [...((spec.initContainers as Plain[]) ?? []), ...((spec.containers as Plain[]) ?? [])];
  });
}

export function podSpec(object: K8sObject): Plain {
  const template = (object.spec as Plain).template as Plain;
  return template.spec as Plain;
}

function applyPatch(objects: K8sObject[], patch: K8sObject, dir: string): K8sObject[] {
  const id = objectId(patch);
  const index = objects.findIndex((object) => objectId(object) === id);
  if (index < 0) throw new Error(`${dir}: patch target ${id} not found`);
  const next = [...objects];
  next[index] = merge(objects[index], patch, id) as K8sObject;
  return next;
}

function merge(target: unknown, patch: unknown, path: string): unknown {
  if (isPlain(target) && isPlain(patch)) {
    const out: Plain = { ...target };
    for (const [key, value] of Object.entries(patch)) {
      if (key.startsWith('$')) throw new Error(`${path}: patch directive ${key} is not supported here`);
      if (value === null) delete out[key];
      else if (NAMED_LISTS.has(key) && Array.isArray(value) && Array.isArray(out[key]))
        out[key] = mergeNamedList(out[key] as Plain[], value as Plain[], `${path}.${key}`);
      else out[key] = key in out ? merge(out[key], value, `${path}.${key}`) : fresh(value, `${path}.${key}`);
    }
    return out;
  }
  return fresh(patch, path);
}

function mergeNamedList(target: Plain[], patch: Plain[], path: string): Plain[] {
  const out = [...target];
  for (const item of patch) {
    if (typeof item.name !== 'string') throw new Error(`${path}: list item without a name`);
    const index = out.findIndex((existing) => existing.name === item.name);
    if (item.$patch === 'delete') {
      if (index >= 0) out.splice(index, 1);
    } else if (index >= 0) out[index] = merge(out[index], item, `${path}[${item.name}]`) as Plain;
    else out.push(fresh(item, `${path}[${item.name}]`) as Plain);
  }
  return out;
}

/** A value the patch adds as is: no directives, no nulls left in it. */
function fresh(value: unknown, path: string): unknown {
  if (Array.isArray(value)) return value.map((item, i) => fresh(item, `${path}[${i}]`));
  if (!isPlain(value)) return value;
  const out: Plain = {};
  for (const [key, inner] of Object.entries(value)) {
    if (key.startsWith('$')) throw new Error(`${path}: patch directive ${key} is not supported here`);
    if (inner !== null) out[key] = fresh(inner, `${path}.${key}`);
  }
  return out;
}
