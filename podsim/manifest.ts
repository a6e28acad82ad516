// Reads Pods, Deployments and Jobs from multi-document YAML. Other kinds (Service, ConfigMap,
// ...) are returned as ignored so the caller can note them; they have no effect on the run.

import { readFile } from 'node:fs/promises';
import { parseAllDocuments } from 'yaml';

import { manifestError } from './errors.js';
import type { ContainerSpec, PodSpec, Workload } from './types.js';

export interface LoadedManifests {
  workloads: Workload[];
  ignored: Array<{ kind: string; name: string }>;
}

const SUPPORTED = new Set(['Pod', 'Deployment', 'Job']);
const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];

export async function loadManifestFile(path: string): Promise<LoadedManifests> {
  return parseManifests(await readFile(path, 'utf8'), path);
}

export function parseManifests(text: string, source = 'manifest'): LoadedManifests {
  const result: LoadedManifests = { workloads: [], ignored: [] };
  const documents = parseAllDocuments(text);
  const list = Array.isArray(documents) ? documents : [documents];
  list.forEach((doc, index) => {
    const where = `${source} document ${index + 1}`;
    if (doc.errors.length > 0) throw manifestError(where, `YAML error: ${doc.errors[0]!.message}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) return;
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw manifestError(where, 'expected a Kubernetes object with "kind"');
    }
    const object = value as Record<string, unknown>;
    const kind = String(object.kind ?? '');
    const name = String((object.metadata as { name?: unknown } | undefined)?.name ?? '');
    if (!SUPPORTED.has(kind)) {
      result.ignored.push({ kind, name });
      return;
    }
    result.workloads.push(checkWorkload(object, `${where} (${kind} "${name}")`));
  });
  return result;
}

function checkWorkload(object: Record<string, unknown>, where: string): Workload {
  const workload = object as unknown as Workload;
  const metadata = workload.metadata as Workload['metadata'] | undefined;
  if (!metadata || (!metadata.name && !metadata.generateName)) {
    throw manifestError(where, 'metadata.name is missing');
  }
  if (workload.kind === 'Pod') {
    checkPodSpec(workload.spec, `${where} spec`);
  } else {
    const template = workload.spec?.template;
    if (!template?.spec) throw manifestError(where, 'spec.template.spec is missing');
    checkPodSpec(template.spec, `${where} spec.template.spec`);
    const replicas = workload.kind === 'Deployment' ? workload.spec.replicas : undefined;
    if (replicas !== undefined && (!Number.isInteger(replicas) || replicas < 0)) {
      throw manifestError(where, `spec.replicas is ${JSON.stringify(replicas)}; expected an ` +
        'integer of 0 or more');
    }
  }
  return workload;
}

function checkPodSpec(spec: PodSpec | undefined, where: string): void {
  if (!spec || !Array.isArray(spec.containers) || spec.containers.length === 0) {
    throw manifestError(where, 'containers must be a non-empty list');
  }
  const policy = spec.restartPolicy;
  if (policy !== undefined && !RESTART_POLICIES.includes(policy)) {
    throw manifestError(where, `restartPolicy is "${policy}"; expected Always, OnFailure or ` +
      'Never');
  }
  const grace = spec.terminationGracePeriodSeconds;
  if (grace !== undefined && (!Number.isInteger(grace) || grace < 0)) {
    throw manifestError(where, `terminationGracePeriodSeconds is ${JSON.stringify(grace)}; ` +
      'expected a whole number of 0 or more');
  }
  const names = new Set<string>();
  const all: ContainerSpec[] = [...(spec.initContainers ?? []), ...spec.containers];
  for (const container of all) {
    if (!container?.name) throw manifestError(where, 'a container has no name');
    if (names.has(container.name)) {
      throw manifestError(where, `container name "${container.name}" is used twice`);
    }
    names.add(container.name);
    for (const mount of container.volumeMounts ?? []) {
      const volume = spec.volumes?.find((v) => v.name === mount.name);
      if (!volume) {
        throw manifestError(where, `container "${container.name}" mounts volume ` +
          `"${mount.name}", ` +
          'which spec.volumes does not declare');
      }
      if (!volume.emptyDir) {
        throw manifestError(where, `volume "${mount.name}" is not an emptyDir; podsim emulates ` +
          'only emptyDir volumes (replace it with emptyDir: {} for the emulator)');
      }
    }
  }
}
