// Checks that schemas cannot express: how the containers of a drainwatch pod refer to each
// other (hooks and probes reach the coordinator, the shared directory is one volume at one
// path), and how the drainwatch settings relate to the pod's own (grace period, restart
// policy). Each problem names the object and the field.

import { parseDuration } from '../../common/config.js';
import { objectName, type K8sObject } from './render.js';

type Json = Record<string, unknown>;

/** Paths the coordinator serves (docs/sidecar.md). */
export const COORDINATOR_PATHS = ['/prestop', '/healthz', '/readyz', '/status', '/metrics'];
const PROBE_PATHS = COORDINATOR_PATHS.filter((p) => p !== '/prestop');
const DEFAULT_PORT = 9797;
const DEFAULT_DIR = '/tmp/share';
const DEFAULT_GRACE_SECONDS = 30;
const PROBE_FIELDS = [
  'initialDelaySeconds',
  'periodSeconds',
  'timeoutSeconds',
  'failureThreshold',
  'successThreshold',
];

interface ContainerRef {
  container: Json;
  path: string;
  init: boolean;
}

interface PodRef {
  owner: string;
  path: string;
  spec: Json;
}

function obj(value: unknown): Json | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Json)
    : undefined;
}

function list(value: unknown): Json[] {
  return Array.isArray(value) ? value.flatMap((v) => (obj(v) ? [v as Json] : [])) : [];
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function baseName(word: string): string {
  return word.slice(word.lastIndexOf('/') + 1);
}

/** The pod spec inside a workload object, with its path, or undefined for other kinds. */
export function podOf(o: K8sObject): PodRef | undefined {
  const owner = objectName(o);
  const spec = obj(o.spec);
  switch (o.kind) {
    case 'Pod':
      return spec && { owner, path: 'spec', spec };
    case 'Deployment':
    case 'Job':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'ReplicaSet': {
      const pod = obj(obj(spec?.template)?.spec);
      return pod && { owner, path: 'spec.template.spec', spec: pod };
    }
    default:
      return undefined;
  }
}

function containersOf(pod: PodRef): ContainerRef[] {
  const main = list(pod.spec.containers).map((container, i) => ({
    container,
    path: `${pod.path}.containers[${i}]`,
    init: false,
  }));
  const init = list(pod.spec.initContainers).map((container, i) => ({
    container,
    path: `${pod.path}.initContainers[${i}]`,
    init: true,
  }));
  return [...init, ...main];
}

function envValue(container: Json, name: string): string | undefined {
  const entry = list(container.env).find((e) => e.name === name);
  return typeof entry?.value === 'string' ? entry.value : undefined;
}

function hasEnv(container: Json, name: string): boolean {
  return list(container.env).some((e) => e.name === name);
}

function commandLine(container: Json): string[] {
  return [...strings(container.command), ...strings(container.args)];
}

/** The coordinator: runs drainwatch-sidecar, or is the drainwatch image with its default CMD. */
function isCoordinator(container: Json): boolean {
  if (commandLine(container).some((w) => baseName(w) === 'drainwatch-sidecar')) return true;
  const image = typeof container.image === 'string' ? container.image : '';
  const repository = baseName(image.split('@')[0]!.replace(/:[^:/]*$/, ''));
  return repository === 'drainwatch' && container.command === undefined;
}

function runsShim(container: Json): boolean {
  return strings(container.command).some((w) => baseName(w) === 'drainwatch-shim');
}

/** Every cross-reference problem of one object. */
export function checkPodReferences(o: K8sObject): string[] {
  const pod = podOf(o);
  if (!pod) return [];
  const problems: string[] = [];
  const report: Report = (path, message) => problems.push(`${pod.owner}: ${path}: ${message}`);
  const containers = containersOf(pod);
  checkVolumeMounts(pod, containers, report);
  checkProbeThresholds(containers, report);
  const coordinators = containers.filter((c) => isCoordinator(c.container));
  const workers = containers.filter(
    (c) =>
      !isCoordinator(c.container) &&
      (runsShim(c.container) || hasEnv(c.container, 'DRAINWATCH_DIR')),
  );
  if (coordinators.length === 0) {
    for (const w of workers) {
      report(w.path, 'takes part in drainwatch, but no container runs drainwatch-sidecar');
    }
    return problems;
  }
  if (coordinators.length > 1) {
    report(coordinators[1]!.path, 'a second drainwatch-sidecar; a pod needs exactly one');
  }
  const coordinator = coordinators[0]!;
  if (workers.length === 0) report(pod.path, 'runs drainwatch-sidecar but no worker takes part');
  const port = coordinatorPort(coordinator, report);
  for (const c of containers) checkHandlers(c, port, coordinator, report);
  checkSharedDirectory(pod, coordinator, workers, report);
  checkGracePeriod(pod, coordinator, workers, report);
  checkRestartPolicy(pod, workers, report);
  checkNativeSidecar(coordinator, report);
  return problems;
}

type Report = (path: string, message: string) => void;

function checkVolumeMounts(pod: PodRef, containers: ContainerRef[], report: Report): void {
  const volumes = list(pod.spec.volumes).map((v) => v.name);
  for (const { container, path } of containers) {
    list(container.volumeMounts).forEach((mount, i) => {
      if (!volumes.includes(mount.name)) {
        report(
          `${path}.volumeMounts[${i}].name`,
          `"${String(mount.name)}" names no volume of the pod ` +
            `(volumes: ${volumes.join(', ') || 'none'})`,
        );
      }
    });
  }
}

function checkProbeThresholds(containers: ContainerRef[], report: Report): void {
  for (const { container, path } of containers) {
    for (const kind of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
      const probe = obj(container[kind]);
      if (!probe) continue;
      const missing = PROBE_FIELDS.filter((f) => probe[f] === undefined);
      if (missing.length > 0) {
        const fields = missing.join(', ');
        report(`${path}.${kind}`, `leaves ${fields} to defaults; write every threshold out`);
      }
    }
  }
}

function coordinatorPort(coordinator: ContainerRef, report: Report): number {
  const raw = envValue(coordinator.container, 'DRAINWATCH_PORT');
  const port = raw === undefined ? DEFAULT_PORT : Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    report(`${coordinator.path}.env.DRAINWATCH_PORT`, `"${raw}" is not a TCP port (1-65535)`);
    return DEFAULT_PORT;
  }
  const declared = list(coordinator.container.ports);
  if (declared.length > 0 && !declared.some((p) => p.containerPort === port)) {
    const what = `the coordinator's port ${port} (DRAINWATCH_PORT)`;
    report(`${coordinator.path}.ports`, `does not declare ${what}`);
  }
  return port;
}

function checkHandlers(
  c: ContainerRef,
  port: number,
  coordinator: ContainerRef,
  report: Report,
): void {
  const handlers: Array<[string, Json | undefined, 'prestop' | 'probe']> = [
    ['lifecycle.preStop', obj(obj(c.container.lifecycle)?.preStop), 'prestop'],
    ['livenessProbe', obj(c.container.livenessProbe), 'probe'],
    ['readinessProbe', obj(c.container.readinessProbe), 'probe'],
    ['startupProbe', obj(c.container.startupProbe), 'probe'],
  ];
  const tokenRequired = hasEnv(coordinator.container, 'DRAINWATCH_PRESTOP_TOKEN');
  for (const [field, handler, role] of handlers) {
    const get = obj(handler?.httpGet);
    if (!get) continue;
    const at = `${c.path}.${field}.httpGet`;
    if (get.host !== undefined) {
      const why = 'leave it out so the call goes to the pod IP, where the coordinator listens';
      report(`${at}.host`, `is set; ${why}`);
    }
    const resolved = resolvePort(c.container, get.port);
    if (typeof resolved === 'string') {
      report(`${at}.port`, resolved);
    } else if (resolved !== port) {
      const owner = `DRAINWATCH_PORT of ${coordinator.path}`;
      report(`${at}.port`, `${resolved} is not the coordinator's port ${port} (${owner})`);
    }
    const path = typeof get.path === 'string' ? get.path : '/';
    if (role === 'prestop' && path !== '/prestop') {
      report(`${at}.path`, `"${path}" is not /prestop, the coordinator's preStop endpoint`);
    }
    if (role === 'probe' && !PROBE_PATHS.includes(path)) {
      const why = path === '/prestop' ? ' (a probe calling /prestop would start a drain)' : '';
      report(`${at}.path`, `"${path}" is not one of ${PROBE_PATHS.join(' ')}${why}`);
    }
    if (role === 'prestop' && tokenRequired) {
      const headers = list(get.httpHeaders).map((h) => String(h.name).toLowerCase());
      if (!headers.includes('x-drainwatch-token')) {
        const why = 'which DRAINWATCH_PRESTOP_TOKEN requires';
        report(`${at}.httpHeaders`, `lacks X-Drainwatch-Token, ${why}`);
      }
    }
  }
}

/** A port number, or a message saying why the port cannot be resolved the kubelet's way. */
function resolvePort(container: Json, port: unknown): number | string {
  if (typeof port === 'number') return port;
  if (typeof port !== 'string') return 'is missing';
  const named = list(container.ports).find((p) => p.name === port);
  if (named && typeof named.containerPort === 'number') return named.containerPort;
  if (/^\d+$/.test(port)) return Number(port);
  return (
    `named port "${port}" is not declared in this container (the kubelet looks a name up ` +
    'in the ports of the container whose hook or probe it is)'
  );
}

function mountAt(container: Json, dir: string): Json | undefined {
  return list(container.volumeMounts).find((m) => m.mountPath === dir);
}

function checkSharedDirectory(
  pod: PodRef,
  coordinator: ContainerRef,
  workers: ContainerRef[],
  report: Report,
): void {
  const dir = envValue(coordinator.container, 'DRAINWATCH_DIR') ?? DEFAULT_DIR;
  const mount = mountAt(coordinator.container, dir);
  if (!mount) {
    report(`${coordinator.path}.volumeMounts`, `mount nothing at DRAINWATCH_DIR ${dir}`);
    return;
  }
  const volume = list(pod.spec.volumes).find((v) => v.name === mount.name);
  if (volume && !obj(volume.emptyDir)) {
    const at = `${pod.path}.volumes.${String(mount.name)}`;
    report(at, 'holds the coordination directory but is not an emptyDir');
  }
  for (const c of [coordinator, ...workers]) {
    const own = envValue(c.container, 'DRAINWATCH_DIR') ?? DEFAULT_DIR;
    if (own !== dir) {
      report(`${c.path}.env.DRAINWATCH_DIR`, `is ${own}, but the coordinator's is ${dir}`);
      continue;
    }
    const m = mountAt(c.container, dir);
    if (!m || m.name !== mount.name) {
      const what = `volume "${String(mount.name)}" at DRAINWATCH_DIR ${dir}`;
      report(`${c.path}.volumeMounts`, `must mount ${what}, as the coordinator does`);
    } else if (m.readOnly === true) {
      report(`${c.path}.volumeMounts`, `mounts ${dir} read-only, but drainwatch writes there`);
    }
  }
}

/** A DRAINWATCH_* duration in ms, undefined when unset or off, or null when unreadable. */
function durationOf(container: Json, name: string): number | undefined | null {
  const raw = envValue(container, name);
  if (raw === undefined || raw.trim() === 'off' || raw.trim() === '0') return undefined;
  const ms = parseDuration(raw);
  if (ms === undefined) return null;
  return ms === 0 ? undefined : ms;
}

function checkGracePeriod(
  pod: PodRef,
  coordinator: ContainerRef,
  workers: ContainerRef[],
  report: Report,
): void {
  const raw = pod.spec.terminationGracePeriodSeconds;
  const grace = typeof raw === 'number' ? raw : DEFAULT_GRACE_SECONDS;
  const bounds: Array<[ContainerRef, string]> = [
    [coordinator, 'DRAINWATCH_PRESTOP_TIMEOUT'],
    [coordinator, 'DRAINWATCH_DRAIN_TIMEOUT'],
    ...workers
      .filter((w) => runsShim(w.container))
      .map((w): [ContainerRef, string] => [w, 'DRAINWATCH_STOP_TIMEOUT']),
  ];
  for (const [c, name] of bounds) {
    const ms = durationOf(c.container, name);
    if (ms === null) {
      const value = envValue(c.container, name);
      report(`${c.path}.env.${name}`, `"${value}" is not a duration with a unit (e.g. 3300s)`);
    } else if (ms !== undefined && ms >= grace * 1000) {
      report(
        `${pod.path}.terminationGracePeriodSeconds`,
        `${grace} s is not longer than ${name} ${envValue(c.container, name)} of ${c.path}: ` +
          'the kubelet would SIGKILL the pod before drainwatch gives up; ' +
          'raise the grace period or lower the bound',
      );
    }
  }
}

function checkRestartPolicy(pod: PodRef, workers: ContainerRef[], report: Report): void {
  const policy = typeof pod.spec.restartPolicy === 'string' ? pod.spec.restartPolicy : 'Always';
  for (const w of workers.filter((c) => runsShim(c.container) && !c.init)) {
    const told = envValue(w.container, 'DRAINWATCH_RESTART_POLICY');
    if (told === undefined) {
      const fix = `set it to the pod's restartPolicy ${policy}`;
      report(`${w.path}.env`, `does not set DRAINWATCH_RESTART_POLICY; ${fix}`);
    } else if (told !== policy) {
      const at = `${w.path}.env.DRAINWATCH_RESTART_POLICY`;
      report(at, `is ${told}, but the pod's restartPolicy is ${policy}`);
    }
  }
}

function checkNativeSidecar(coordinator: ContainerRef, report: Report): void {
  if (!coordinator.init) return;
  if (coordinator.container.restartPolicy !== 'Always') {
    report(
      `${coordinator.path}.restartPolicy`,
      'must be Always: a plain init container would have to exit before the worker starts',
    );
  }
  if (!obj(coordinator.container.startupProbe)) {
    const why = 'the worker would start before the coordinator watches';
    report(`${coordinator.path}.startupProbe`, `is missing: ${why}`);
  }
}

/** References between objects: autoscalers to their Deployment, KEDA to its auth and Secret. */
export function checkObjectReferences(objects: readonly K8sObject[]): string[] {
  const problems: string[] = [];
  const find = (kind: string, name: unknown) =>
    objects.find((o) => o.kind === kind && obj(o.metadata)?.name === name);
  const absent = (kind: string, name: unknown) =>
    `${kind}/${String(name)} is not among the rendered objects`;
  for (const o of objects) {
    const spec = obj(o.spec);
    if (!spec) continue;
    const owner = objectName(o);
    if (o.kind === 'HorizontalPodAutoscaler' || o.kind === 'ScaledObject') {
      const ref = obj(spec.scaleTargetRef);
      const kind = typeof ref?.kind === 'string' ? ref.kind : 'Deployment';
      const target = find(kind, ref?.name);
      if (!target) {
        problems.push(`${owner}: spec.scaleTargetRef: ${absent(kind, ref?.name)}`);
      } else if (obj(target.spec)?.replicas !== undefined) {
        const fix = `${owner} owns the replica count; remove it`;
        problems.push(`${objectName(target)}: spec.replicas: is set, but ${fix}`);
      }
    }
    if (o.kind === 'ScaledObject') {
      list(spec.triggers).forEach((trigger, i) => {
        const auth = obj(trigger.authenticationRef);
        const kind = auth?.kind ?? 'TriggerAuthentication';
        if (auth && kind === 'TriggerAuthentication' && !find(kind, auth.name)) {
          const at = `spec.triggers[${i}].authenticationRef`;
          problems.push(`${owner}: ${at}: ${absent(kind, auth.name)}`);
        }
      });
    }
    if (o.kind === 'TriggerAuthentication') {
      list(spec.secretTargetRef).forEach((ref, i) => {
        const at = `spec.secretTargetRef[${i}]`;
        const secret = find('Secret', ref.name);
        if (!secret) {
          problems.push(`${owner}: ${at}.name: ${absent('Secret', ref.name)}`);
          return;
        }
        const keys = [
          ...Object.keys(obj(secret.data) ?? {}),
          ...Object.keys(obj(secret.stringData) ?? {}),
        ];
        if (!keys.includes(String(ref.key))) {
          const what = `"${String(ref.key)}" is not a key of Secret/${String(ref.name)}`;
          problems.push(`${owner}: ${at}.key: ${what}`);
        }
      });
    }
  }
  return problems;
}
