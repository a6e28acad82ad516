// A Job with one completion at a time: runs a pod to completion; a failed pod (restartPolicy
// Never) is replaced after the Job back-off (10 s doubling, capped at 6 minutes, times the
// back-off scale) until backoffLimit failures have been seen.

import { manifestError } from './errors.js';
import type { EventLog } from './events.js';
import type { PodFactory } from './deployment.js';
import { randomSuffix } from './names.js';
import type { DeleteOptions, Pod } from './pod.js';
import type { JobManifest } from './types.js';

const JOB_BACKOFF_BASE_MS = 10_000;
const JOB_BACKOFF_MAX_MS = 360_000;
const DEFAULT_BACKOFF_LIMIT = 6;

export type JobState = 'Running' | 'Complete' | 'Failed';

export class JobController {
  readonly name: string;
  readonly namespace: string;
  readonly pods: Pod[] = [];
  state: JobState = 'Running';
  deleted = false;
  readonly #manifest: JobManifest;
  readonly #factory: PodFactory;
  readonly #log: EventLog;
  readonly #backoffScale: number;
  #failures = 0;
  #retryTimer: NodeJS.Timeout | undefined;

  constructor(manifest: JobManifest, namespace: string, factory: PodFactory, log: EventLog,
    backoffScale: number) {
    this.#manifest = manifest;
    this.name = manifest.metadata.name!;
    this.namespace = namespace;
    this.#factory = factory;
    this.#log = log;
    this.#backoffScale = backoffScale;
    const policy = manifest.spec.template.spec.restartPolicy;
    if (policy !== 'Never' && policy !== 'OnFailure') {
      throw manifestError(`Job "${this.name}"`, `spec.template.spec.restartPolicy is ` +
        `"${policy ?? 'unset'}"; a Job needs Never or OnFailure`);
    }
    log.onEvent((event) => {
      if (event.event !== 'PodCompleted' && event.event !== 'PodTerminated') return;
      const pod = this.pods.find((p) => p.name === event.pod);
      if (pod && pod === this.pods.at(-1)) this.#onPodFinished(pod);
    });
  }

  get finished(): boolean {
    return this.state !== 'Running';
  }

  start(): void {
    this.#log.emit('JobCreated', { job: this.name });
    this.#createPod();
  }

  async delete(graceOverride?: number, options: DeleteOptions = {}): Promise<void> {
    this.deleted = true;
    clearTimeout(this.#retryTimer);
    this.#log.emit('JobDeleted', { job: this.name });
    await Promise.all(this.pods.map((pod) => pod.delete(graceOverride, options)));
  }

  #createPod(): void {
    const template = this.#manifest.spec.template;
    const pod = this.#factory.createPod({
      name: `${this.name}-${randomSuffix()}`,
      namespace: this.namespace,
      labels: { ...template.metadata?.labels, 'job-name': this.name },
      spec: structuredClone(template.spec),
      owner: { kind: 'Job', name: this.name },
    });
    this.pods.push(pod);
  }

  #onPodFinished(pod: Pod): void {
    if (this.finished || this.deleted) return;
    if (pod.phase === 'Succeeded') {
      this.state = 'Complete';
      this.#log.emit('JobComplete', { job: this.name, pod: pod.name });
      return;
    }
    this.#failures += 1;
    const limit = this.#manifest.spec.backoffLimit ?? DEFAULT_BACKOFF_LIMIT;
    if (this.#failures > limit) {
      this.state = 'Failed';
      this.#log.emit('JobFailed', { job: this.name, reason: 'BackoffLimitExceeded',
        failures: this.#failures, backoffLimit: limit });
      return;
    }
    const delayMs = Math.round(Math.min(JOB_BACKOFF_BASE_MS * 2 ** (this.#failures - 1),
      JOB_BACKOFF_MAX_MS) * this.#backoffScale);
    this.#log.emit('JobPodFailed', { job: this.name, pod: pod.name, failures: this.#failures,
      backoffLimit: limit, retryInMs: delayMs });
    this.#retryTimer = setTimeout(() => {
      if (!this.deleted) this.#createPod();
    }, delayMs);
  }
}
