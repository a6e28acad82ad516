// The four configurations the rollout benchmark compares, each a manifest under
// bench/manifests/, and how a manifest is fitted to one run: the replica count and the values
// of the variables the manifests mark "set by the bench".

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { parseAllDocuments } from 'yaml';

export type ConfigurationName = 'a' | 'b' | 'c' | 'd';

export interface Configuration {
  name: ConfigurationName;
  label: string;
  manifest: string;
  /** Whether drainwatch runs in this configuration (the short run asserts on these). */
  drainwatch: boolean;
}

export const CONFIGURATIONS: readonly Configuration[] = [
  { name: 'a', label: 'naive', manifest: 'a-naive.yaml', drainwatch: false },
  { name: 'b', label: 'shell pattern', manifest: 'b-shell.yaml', drainwatch: false },
  { name: 'c', label: 'drainwatch, classic sidecar', manifest: 'c-classic.yaml',
    drainwatch: true },
  { name: 'd', label: 'drainwatch, native sidecar', manifest: 'd-native.yaml', drainwatch: true },
];

export function configuration(name: ConfigurationName): Configuration {
  return CONFIGURATIONS.find((c) => c.name === name)!;
}

interface EnvVar {
  name: string;
  value?: unknown;
}
interface ContainerLike {
  env?: EnvVar[];
}

/**
 * The configuration's Deployment as JSON text (JSON is YAML), with `replicas` and the given
 * variables replaced in every container that declares them.
 */
export async function fittedManifest(
  manifestsDir: string,
  config: Configuration,
  replicas: number,
  variables: Readonly<Record<string, string>>,
): Promise<string> {
  const path = join(manifestsDir, config.manifest);
  const docs = parseAllDocuments(await readFile(path, 'utf8')).map((d) => d.toJS() as {
    kind?: string;
    spec?: { replicas?: number; template?: { spec?: Record<string, ContainerLike[]> } };
  });
  const deployment = docs.find((d) => d?.kind === 'Deployment');
  const podSpec = deployment?.spec?.template?.spec;
  if (!deployment?.spec || !podSpec) {
    throw new Error(`${path} holds no Deployment with a pod template; restore it from git`);
  }
  deployment.spec.replicas = replicas;
  for (const container of [...(podSpec.containers ?? []), ...(podSpec.initContainers ?? [])]) {
    for (const variable of container.env ?? []) {
      const value = variables[variable.name];
      if (value !== undefined) variable.value = value;
    }
  }
  return JSON.stringify(deployment);
}
