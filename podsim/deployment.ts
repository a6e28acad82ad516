// A Deployment and its ReplicaSets: pods named <deployment>-<template hash>-<suffix>, rolling
// updates bounded by maxSurge and maxUnavailable (new pods must be Ready before old ones go
// when maxUnavailable is 0; terminating pods count as neither present nor available),
// Recreate, scaling, and deletion.

import type { EventLog } from './events.js';
import { randomSuffix, templateHash } from './names.js';
import type { DeleteOptions, Pod, PodInit } from './pod.js';
import { resolveRollingLimits } from './rollout-math.js';
import type { DeploymentManifest, PodTemplate } from './types.js';

export interface PodFactory {
  createPod(init: PodInit): Pod;
}

interface ReplicaSet {
  hash: string;
  template: PodTemplate;
  desired: number;
  pods: Pod[];
}

export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';

export class DeploymentController {
  readonly name: string;
  readonly namespace: string;
  replicas: number;
  deleted = false;
  readonly #manifest: DeploymentManifest;
  readonly #factory: PodFactory;
  readonly #log: EventLog;
  readonly #replicaSets: ReplicaSet[] = [];
  #current!: ReplicaSet;
  #revision = 0;
  #completedRevision = 0;
  #scheduled = false;

  constructor(manifest: DeploymentManifest, namespace: string, factory: PodFactory,
    log: EventLog) {
    this.#manifest = manifest;
    this.name = manifest.metadata.name!;
    this.namespace = namespace;
    this.replicas = manifest.spec.replicas ?? 1;
    this.#factory = factory;
    this.#log = log;
    log.onEvent((event) => {
      if (event.pod && this.#owns(event.pod)) this.#schedule();
    });
  }

  get pods(): Pod[] {
    return this.#replicaSets.flatMap((rs) => rs.pods);
  }

  get revision(): number {
    return this.#revision;
  }

  start(): void {
    this.#useTemplate(this.#manifest.spec.template);
  }

  /** Starts a rolling update to `template`, or to a restart of the current one. */
  rollout(template?: PodTemplate): void {
    const base = template ?? this.#current.template;
    const next: PodTemplate = structuredClone(base);
    if (!template) {
      next.metadata = { ...next.metadata, annotations: { ...next.metadata?.annotations,
        [RESTARTED_AT_ANNOTATION]: new Date().toISOString() } };
    }
    this.#useTemplate(next);
  }

  scale(replicas: number): void {
    this.replicas = replicas;
    this.#log.emit('ScalingDeployment', { deployment: this.name, replicas });
    this.#schedule();
  }

  async delete(graceOverride?: number, options: DeleteOptions = {}): Promise<void> {
    this.deleted = true;
    this.#log.emit('DeploymentDeleted', { deployment: this.name });
    await Promise.all(this.pods.map((pod) => pod.delete(graceOverride, options)));
  }

  #useTemplate(template: PodTemplate): void {
    const hash = templateHash(template);
    let rs = this.#replicaSets.find((r) => r.hash === hash);
    if (!rs) {
      rs = { hash, template, desired: 0, pods: [] };
      this.#replicaSets.push(rs);
    }
    this.#current = rs;
    this.#revision += 1;
    this.#log.emit(this.#revision === 1 ? 'DeploymentCreated' : 'RolloutStarted', {
      deployment: this.name, replicaSet: `${this.name}-${hash}`, revision: this.#revision });
    this.#schedule();
  }

  #owns(podName: string): boolean {
    return this.#replicaSets.some((rs) => rs.pods.some((p) => p.name === podName));
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#reconcile();
    });
  }

  #reconcile(): void {
    if (this.deleted) return;
    // A force-deleted pod left the API: the ReplicaSet replaces it while it still stops.
    for (const rs of this.#replicaSets) {
      rs.pods = rs.pods.filter((p) => !p.gone && !p.forceDeleted);
    }
    if (this.#manifest.spec.strategy?.type === 'Recreate') this.#planRecreate();
    else this.#planRolling();
    for (const rs of this.#replicaSets) this.#syncReplicaSet(rs);
    this.#checkComplete();
  }

  #planRecreate(): void {
    const olds = this.#replicaSets.filter((rs) => rs !== this.#current);
    for (const rs of olds) rs.desired = 0;
    if (olds.some((rs) => rs.pods.length > 0)) return;
    this.#current.desired = this.replicas;
  }

  #planRolling(): void {
    const where = `Deployment "${this.name}" spec.strategy.rollingUpdate`;
    const rolling = this.#manifest.spec.strategy?.rollingUpdate;
    const { surge, unavailable } = resolveRollingLimits(rolling?.maxSurge,
      rolling?.maxUnavailable, this.replicas, where);
    const current = this.#current;
    const olds = this.#replicaSets.filter((rs) => rs !== current);
    const total = () => this.#replicaSets.reduce((sum, rs) => sum + rs.desired, 0);

    if (current.desired > this.replicas) current.desired = this.replicas;
    if (current.desired < this.replicas) {
      const room = this.replicas + surge - total();
      current.desired += Math.max(0, Math.min(room, this.replicas - current.desired));
    }

    // Old ReplicaSets, as reconcileOldReplicaSets: unavailable old pods go first (they cost
    // no availability), then available ones while availability stays at minAvailable.
    const minAvailable = this.replicas - unavailable;
    const newUnavailable = current.desired - availableCount(current);
    const maxScaledDown = total() - minAvailable - newUnavailable;
    if (maxScaledDown <= 0) return;
    let cleaned = 0;
    for (const rs of olds) {
      const unhealthy = rs.desired - availableCount(rs);
      const removed = Math.max(0, Math.min(maxScaledDown - cleaned, unhealthy));
      rs.desired -= removed;
      cleaned += removed;
    }
    const available = this.#replicaSets.reduce((sum, rs) => sum + availableCount(rs), 0);
    let scaleDown = available - minAvailable;
    for (const rs of olds) {
      if (scaleDown <= 0) break;
      const removed = Math.min(rs.desired, scaleDown);
      rs.desired -= removed;
      scaleDown -= removed;
    }
  }

  #syncReplicaSet(rs: ReplicaSet): void {
    const active = rs.pods.filter((p) => !p.terminating);
    for (let i = active.length; i < rs.desired; i += 1) rs.pods.push(this.#createPod(rs));
    const surplus = active.length - rs.desired;
    if (surplus <= 0) return;
    const victims = [...active]
      .sort((a, b) => Number(a.ready) - Number(b.ready) || b.createdMs - a.createdMs)
      .slice(0, surplus);
    for (const pod of victims) {
      this.#log.emit('ScalingReplicaSet', { deployment: this.name, pod: pod.name,
        replicaSet: `${this.name}-${rs.hash}`, action: 'delete' });
      void pod.delete();
    }
  }

  #createPod(rs: ReplicaSet): Pod {
    const labels = { ...rs.template.metadata?.labels, 'pod-template-hash': rs.hash };
    const pod = this.#factory.createPod({
      name: `${this.name}-${rs.hash}-${randomSuffix()}`,
      namespace: this.namespace,
      labels,
      spec: structuredClone(rs.template.spec),
      owner: { kind: 'ReplicaSet', name: `${this.name}-${rs.hash}` },
    });
    this.#log.emit('ScalingReplicaSet', { deployment: this.name, pod: pod.name,
      replicaSet: `${this.name}-${rs.hash}`, action: 'create' });
    return pod;
  }

  #checkComplete(): void {
    if (this.#completedRevision === this.#revision) return;
    const current = this.#current;
    const oldActive = this.#replicaSets.filter((rs) => rs !== current)
      .reduce((sum, rs) => sum + rs.pods.filter((p) => !p.terminating).length, 0);
    if (current.desired !== this.replicas || availableCount(current) !== this.replicas) return;
    if (oldActive > 0) return;
    this.#completedRevision = this.#revision;
    this.#log.emit('RolloutComplete', { deployment: this.name, revision: this.#revision,
      replicaSet: `${this.name}-${current.hash}` });
  }
}

function availableCount(rs: ReplicaSet): number {
  return rs.pods.filter((p) => p.ready && !p.terminating && !p.gone).length;
}
