// Checks rendered objects against the Kubernetes API schemas of the kubernetes-models packages, twice:
// their runtime validators (types, enums, required fields) and, because those accept unknown fields, the
// TypeScript compiler on the same models' interfaces, whose excess-property check rejects any field the API
// does not define (a misspelt `readinesProbe` would otherwise be dropped silently by the API server).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import type { K8sObject } from './kustomize.ts';

const here = dirname(fileURLToPath(import.meta.url));

/** Module of the model class for an apiVersion and kind (core, built-in groups, and the CRDs k8s/ uses). */
export function modelModule(object: Pick<K8sObject, 'apiVersion' | 'kind'>): string {
  const { apiVersion, kind } = object;
  if (apiVersion.startsWith('monitoring.coreos.com/'))
    return `@kubernetes-models/prometheus-operator/${apiVersion}/${kind}`;
  if (apiVersion.startsWith('keda.sh/')) return `@kubernetes-models/keda/${apiVersion}/${kind}`;
  return `kubernetes-models/${apiVersion}/${kind}`;
}

type Model = { validate(): void };
type ModelClass = new (data: unknown) => Model;

/** Runs the kubernetes-models validator of each object; returns "<id>: <error>" lines. */
export async function validateWithModels(objects: K8sObject[]): Promise<string[]> {
  const problems: string[] = [];
  for (const object of objects) {
    const module = (await import(modelModule(object))) as Record<string, ModelClass>;
    const Model = module[object.kind];
    if (!Model) {
      problems.push(`${object.kind}/${object.metadata.name}: no model for ${object.apiVersion}`);
      continue;
    }
    try {
      new Model(object).validate();
    } catch (error) {
      problems.push(`${object.kind}/${object.metadata.name}: ${(error as Error).message}`);
    }
  }
  return problems;
}

/** Type-checks every object as an object literal of its model's interface; returns the compiler's complaints. */
export function unknownFieldErrors(objects: K8sObject[]): string[] {
  const file = join(here, '__rendered_objects__.ts');
  const imports = new Map<string, string>();
  const lines: string[] = [];
  objects.forEach((object, i) => {
    const module = modelModule(object);
    let alias = imports.get(module);
    if (!alias) {
      alias = `M${imports.size}`;
      imports.set(module, alias);
    }
    lines.push(`// ${object.kind}/${object.metadata.name}`);
    lines.push(`export const o${i}: ${alias}.I${object.kind} = ${JSON.stringify(object, null, 1)};`);
  });
  const source = [
    ...[...imports].map(([module, alias]) => `import type * as ${alias} from '${module}';`),
    ...lines,
  ].join('\n');
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, language, ...rest) =>
    name === file ? ts.createSourceFile(name, source, language) : getSourceFile(name, language, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === file || fileExists(name);
  const program = ts.createProgram([file], options, host);
  const sourceFile = program.getSourceFile(file);
  return ts.getPreEmitDiagnostics(program, sourceFile).map((d) => {
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    if (!d.file || d.start === undefined) return message;
    const { line } = d.file.getLineAndCharacterOfPosition(d.start);
    const owner = source
      .split('\n')
      .slice(0, line + 1)
      .reverse()
      .find((l) => l.startsWith('// '));
    return `${owner?.slice(3) ?? '?'}: ${message}`;
  });
}
