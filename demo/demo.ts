// The demo behind `npm run demo`: the reference Deployment (k8s/classic, drainwatch as a classic
// sidecar) runs in the pod emulator with three replicas. One worker takes a long task, then the
// Deployment is rolled out: the idle old pods go at once, the busy one waits for its task and
// goes the moment it ends. The merged timeline and a summary per old pod are printed.

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';

import { Simulation, type PodsimEvent } from '../podsim/index.js';
import { writeBins } from './bins.js';
import { createQueue, publish, readDone } from './file-queue.js';
import { renderSummary, seconds, Timeline, type PodSummary } from './timeline.js';

/** Repository root, from dist/demo/. */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const REPLICAS = 3;
/** Long enough to still run when the rollout reaches its pod (about 5 s per replaced pod). */
const TASK_MS = 25_000;
/** Bound of each wait of the demo. */
const WAIT_MS = 60_000;

export type Print = (line: string) => void;

/** What the emulator runs on the host, and the Debian package of each. */
const HOST_COMMANDS: Record<string, string> = { ip: 'iproute2', unshare: 'util-linux',
  setpriv: 'util-linux' };

/** Throws an error naming the packages to install when a command the emulator needs is missing. */
function checkHostCommands(): void {
  const dirs = (process.env.PATH ?? '').split(':').filter((d) => d !== '');
  const missing = Object.keys(HOST_COMMANDS)
    .filter((command) => !dirs.some((d) => existsSync(join(d, command))));
  if (missing.length === 0) return;
  const packages = [...new Set(missing.map((c) => HOST_COMMANDS[c]))].join(' ');
  throw new Error(`the emulator needs ${missing.join(', ')} on PATH; install them with ` +
    `\`apt-get install ${packages}\` (or scripts/setup-system.sh), then run the demo again`);
}

/** `kubectl kustomize k8s/classic`, or the base file as it is when kubectl is not installed. */
async function loadManifest(print: Print): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)('kubectl', ['kustomize',
      join(ROOT, 'k8s', 'classic')], { timeout: 60_000 });
    print('Manifest: kubectl kustomize k8s/classic');
    return stdout;
  } catch {
    print('Manifest: k8s/base/deployment.yaml (kubectl is not installed; k8s/classic renders ' +
      'to the same Deployment)');
    return readFile(join(ROOT, 'k8s', 'base', 'deployment.yaml'), 'utf8');
  }
}

function withReplicas(text: string, replicas: number): string {
  return parseAllDocuments(text)
    .map((doc) => doc.toJS() as Record<string, unknown> | null)
    .filter((object) => object !== null)
    .map((object) => {
      if (object!.kind === 'Deployment') {
        (object!.spec as { replicas: number }).replicas = replicas;
      }
      return JSON.stringify(object);
    })
    .join('\n---\n');
}

export class Demo {
  readonly #print: Print;
  readonly #timeline = new Timeline();
  /** When each pod's worker finished its task, in emulator time. */
  readonly #taskFinishedMs = new Map<string, number>();
  #simulation: Simulation | undefined;
  #dir: string | undefined;
  #stopping: Promise<void> | undefined;

  constructor(print: Print) {
    this.#print = print;
  }

  /** Runs the demo; resolves with true when no task was interrupted. */
  async run(): Promise<boolean> {
    const print = this.#print;
    checkHostCommands();
    const reason = Simulation.namespacesUnavailableReason();
    if (reason) throw new Error(`the demo needs per-pod namespaces (${reason}); run it as root`);
    this.#dir = await mkdtemp(join(tmpdir(), 'drainwatch-demo-'));
    const queue = createQueue(join(this.#dir, 'queue'));
    const bins = await writeBins(join(this.#dir, 'bin'), {
      'drainwatch-shim': join(ROOT, 'dist', 'worker-shim', 'main.js'),
      'drainwatch-sidecar': join(ROOT, 'dist', 'sidecar', 'main.js'),
      'queue-worker': join(ROOT, 'dist', 'demo', 'queue-worker.js'),
    });
    const manifest = withReplicas(await loadManifest(print), REPLICAS);
    const simulation = new Simulation({ bins: [bins], env: { QUEUE_DIR: queue },
      pid1Signals: true });
    this.#simulation = simulation;
    simulation.onEvent((event) => this.#take(event));
    simulation.onLog((line) => {
      if (line.line.includes('"task.finished"')) this.#taskFinishedMs.set(line.pod, line.t);
      this.#timeline.takeLog(line, Date.now() - simulation.log.now());
    });
    simulation.loadText(manifest, 'k8s/classic');

    print(`Starting ${REPLICAS} pods (worker + drainwatch sidecar each) in the emulator...`);
    await simulation.start();
    await simulation.waitRolloutComplete('queue-worker', WAIT_MS);
    const oldPods = simulation.pods.map((p) => p.name);

    publish(queue, { id: 'task-1', durationMs: TASK_MS });
    const busyPod = await this.#waitTaskStarted();
    print(`One worker took a ${seconds(TASK_MS)} task; the others are idle. Rolling out...`);
    const rolloutAt = simulation.log.now();
    simulation.rollout('queue-worker');
    await simulation.waitRolloutComplete('queue-worker', WAIT_MS);
    await Promise.all(oldPods.map((pod) => simulation.waitFor(
      (e) => e.event === 'PodDeleted' && e.pod === pod, `the end of ${pod}`, WAIT_MS)));

    print('');
    print('Timeline (seconds since the rollout started):');
    for (const line of this.#timeline.render(rolloutAt - 1)) print(line);
    const done = readDone(queue);
    const summary = oldPods.map((pod) => this.#summarise(pod, pod === busyPod,
      done.some((r) => r.pod === pod)));
    print('');
    print('Summary per old pod:');
    for (const line of renderSummary(summary)) print(line);
    print('');
    print('Pods:');
    for (const pod of simulation.allPods) {
      print(`  ${this.#timeline.labelOf(pod.name)}  ${pod.name}`);
    }
    return summary.every((p) => !p.interrupted);
  }

  /** Kills every process of the emulator and removes the demo's files. Safe to call twice. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      await this.#simulation?.stop();
      if (this.#dir) await rm(this.#dir, { recursive: true, force: true });
    })();
    return this.#stopping;
  }

  #take(event: PodsimEvent): void {
    if (event.event === 'PodCreated' && event.pod) {
      const rollingOut = this.#simulation!.deployments[0]!.revision > 1;
      this.#timeline.label(event.pod, !rollingOut);
    }
    this.#timeline.takeEvent(event);
  }

  #waitTaskStarted(): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        stop();
        reject(new Error(`no worker took the task within ${WAIT_MS} ms`));
      }, WAIT_MS);
      const stop = this.#simulation!.onLog((line) => {
        if (!line.line.includes('"task.started"')) return;
        clearTimeout(timer);
        stop();
        resolve(line.pod);
      });
    });
  }

  #summarise(pod: string, hadTask: boolean, taskDone: boolean): PodSummary {
    const events = this.#simulation!.log.events.filter((e) => e.pod === pod);
    const start = events.find((e) => e.event === 'PodTerminating')!;
    const end = events.find((e) => e.event === 'PodDeleted')!;
    const killed = events.some((e) => e.event === 'Signal' && e.signal === 'SIGKILL');
    const finishedMs = this.#taskFinishedMs.get(pod) ?? Infinity;
    return {
      label: this.#timeline.labelOf(pod),
      pod,
      state: hadTask && finishedMs > start.t ? 'busy' : 'idle',
      deletionToGoneMs: end.t - start.t,
      interrupted: killed || (hadTask && !taskDone),
    };
  }
}
