// The environment of a container process: a small base (PATH with --bin directories first,
// HOME, HOSTNAME = pod name) plus the manifest's env, with $(VAR) references and the fieldRefs
// a pod can know about itself.

import { manifestError } from './errors.js';
import { expandReferences } from './images.js';
import { POD_IP } from './handlers.js';
import type { ContainerSpec } from './types.js';

export interface PodIdentity {
  name: string;
  namespace: string;
  uid: string;
}

export interface EnvBase {
  bins: readonly string[];
  hostPath: string;
  extra: Readonly<Record<string, string>>;
}

const FIELD_VALUES: Record<string, (pod: PodIdentity) => string> = {
  'metadata.name': (pod) => pod.name,
  'metadata.namespace': (pod) => pod.namespace,
  'metadata.uid': (pod) => pod.uid,
  'status.podIP': () => POD_IP,
  'status.hostIP': () => POD_IP,
  'spec.nodeName': () => 'podsim',
  'spec.serviceAccountName': () => 'default',
};

export function containerEnv(
  container: ContainerSpec,
  pod: PodIdentity,
  base: EnvBase,
): Record<string, string> {
  const env: Record<string, string> = {
    PATH: [...base.bins, base.hostPath].filter((p) => p !== '').join(':'),
    HOME: '/root',
    HOSTNAME: pod.name,
    ...base.extra,
  };
  for (const variable of container.env ?? []) {
    const where = `pod "${pod.name}" container "${container.name}" env ${variable.name}`;
    if (variable.value !== undefined) {
      env[variable.name] = expandReferences(String(variable.value), env);
    } else if (variable.valueFrom?.fieldRef) {
      const field = variable.valueFrom.fieldRef.fieldPath;
      const value = FIELD_VALUES[field];
      if (!value) {
        throw manifestError(where, `fieldRef "${field}" is not emulated; use one of ` +
          Object.keys(FIELD_VALUES).join(', '));
      }
      env[variable.name] = value(pod);
    } else if (variable.valueFrom) {
      const kind = Object.keys(variable.valueFrom).join(', ');
      throw manifestError(where, `valueFrom ${kind} is not emulated; give a literal value ` +
        'for the emulator');
    } else {
      env[variable.name] = '';
    }
  }
  return env;
}
