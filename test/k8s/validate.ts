// Validates rendered manifests offline: kubernetes-models for the types and required fields
// of built-in kinds, our own schemas for KEDA's custom resources, a walk against the API's
// declarations for unknown fields, and the drainwatch cross-references.

import { createRequire } from 'node:module';

import { CRD_SCHEMAS, checkSchema } from './crd-schemas.js';
import { checkObjectReferences, checkPodReferences } from './cross-refs.js';
import { KnownFields, modelModule } from './known-fields.js';
import { objectName, type K8sObject } from './render.js';

const require = createRequire(import.meta.url);

/** The built-in kinds the manifests may contain (the unknown-field walker loads these). */
export const BUILT_IN_KINDS = [
  { apiVersion: 'apps/v1', kind: 'Deployment' },
  { apiVersion: 'batch/v1', kind: 'Job' },
  { apiVersion: 'v1', kind: 'Pod' },
  { apiVersion: 'v1', kind: 'Secret' },
  { apiVersion: 'v1', kind: 'ConfigMap' },
  { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler' },
  { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget' },
];

interface AjvError {
  instancePath: string;
  message?: string;
  params?: Record<string, unknown>;
}

type ModelClass = new (data: unknown) => { validate(): void };

/** "/spec/template/spec/containers/0/name" -> "spec.template.spec.containers[0].name". */
export function dottedPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .reduce((acc, part) => {
      if (/^\d+$/.test(part)) return `${acc}[${part}]`;
      return acc ? `${acc}.${part}` : part;
    }, '');
}

function validateModel(o: K8sObject): string[] {
  let Model: ModelClass | undefined;
  try {
    Model = (require(modelModule(o.apiVersion, o.kind)) as Record<string, ModelClass>)[o.kind];
  } catch {
    Model = undefined;
  }
  if (!Model) return [`${objectName(o)}: ${o.apiVersion} ${o.kind} is not a built-in kind`];
  try {
    new Model(o).validate();
    return [];
  } catch (err) {
    const errors = (err as { errors?: AjvError[] }).errors;
    if (!Array.isArray(errors)) return [`${objectName(o)}: ${(err as Error).message}`];
    return errors.map((e) => {
      const missing = e.params?.missingProperty;
      const where = dottedPath(e.instancePath) || '(root)';
      return typeof missing === 'string'
        ? `${objectName(o)}: ${where}: missing required field "${missing}"`
        : `${objectName(o)}: ${where}: ${e.message ?? 'is invalid'}`;
    });
  }
}

export class ManifestValidator {
  readonly #known = new KnownFields(BUILT_IN_KINDS);

  /** Every problem of a set of objects rendered together; empty when all is well. */
  validate(objects: readonly K8sObject[]): string[] {
    const problems: string[] = [];
    for (const o of objects) {
      const crd = CRD_SCHEMAS.get(`${o.apiVersion} ${o.kind}`);
      if (crd) {
        problems.push(...checkSchema(o, crd).map((p) => `${objectName(o)}: ${p}`));
        continue;
      }
      const modelProblems = validateModel(o);
      problems.push(...modelProblems);
      if (modelProblems.some((p) => p.endsWith('is not a built-in kind'))) continue;
      problems.push(...this.#known.unknownFields(o));
      problems.push(...checkPodReferences(o));
    }
    problems.push(...checkObjectReferences(objects));
    return problems;
  }
}
