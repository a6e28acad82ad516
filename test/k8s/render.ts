// Renders a kustomize directory with the real kubectl, offline (kustomize needs no cluster).

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';

const run = promisify(execFile);

/** A rendered Kubernetes object, as plain JSON data. */
export type K8sObject = Record<string, unknown> & { apiVersion: string; kind: string };

/** Why kubectl cannot be used, or undefined when it can. */
export async function kubectlMissingReason(): Promise<string | undefined> {
  try {
    await run('kubectl', ['version', '--client'], { timeout: 20_000 });
    return undefined;
  } catch (err) {
    return `kubectl is not usable here (${(err as Error).message.split('\n')[0]})`;
  }
}

/** Runs `kubectl kustomize DIR` and parses every document it prints. */
export async function renderKustomization(dir: string): Promise<K8sObject[]> {
  let stdout: string;
  try {
    ({ stdout } = await run('kubectl', ['kustomize', dir], {
      timeout: 60_000,
      maxBuffer: 16 * 1024 * 1024,
    }));
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new Error(`kubectl kustomize ${dir} failed: ${stderr.trim() || (err as Error).message}`);
  }
  return parseObjects(stdout, `kubectl kustomize ${dir}`);
}

/** Parses a multi-document YAML text; every non-empty document must be a typed object. */
export function parseObjects(text: string, source: string): K8sObject[] {
  const objects: K8sObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) {
      throw new Error(`${source}: YAML error: ${doc.errors[0]!.message}`);
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw new Error(`${source}: a document is not an object`);
    }
    const obj = value as Record<string, unknown>;
    if (typeof obj.apiVersion !== 'string' || typeof obj.kind !== 'string') {
      throw new Error(`${source}: a document has no apiVersion or kind`);
    }
    objects.push(obj as K8sObject);
  }
  return objects;
}

/** "Kind/name", the way messages name an object. */
export function objectName(obj: K8sObject): string {
  const metadata = obj.metadata as { name?: unknown } | undefined;
  const name = typeof metadata?.name === 'string' ? metadata.name : '(unnamed)';
  return `${obj.kind}/${name}`;
}
