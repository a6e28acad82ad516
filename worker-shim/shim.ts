// The shim's core: it owns the worker's state in worker.json, learns of drains (signal or
// drain.json), tells the current run what it knows, and writes the completion marker. The two
// modes (supervise-mode.ts, loop-mode.ts) decide when runs start and how the shim ends.

import { spawnGroup, SpawnError } from '../common/child.js';
import type { Logger } from '../common/log.js';
import {
  isFinalExit, PROTOCOL_VERSION, protocolPaths, writeJsonAtomic,
  type CompletionMarker, type CompletionReason, type ProtocolPaths, type WorkerPhase,
} from '../common/protocol.js';
import { clearPreviousInstance, removeTaskEntries } from './clear-state.js';
import type { ShimConfig } from './config.js';
import { CoordinationReader, type Coordination } from './coordination.js';
import { StateFile } from './state-file.js';
import { WorkerRun, type RunView } from './worker-run.js';

export type DrainSource = 'signal' | 'file';

export interface Completion {
  /** The shim's own exit code. */
  exitCode: number;
  /** How the worker ended, for the marker (null when no worker ran). */
  markerExitCode: number | null;
  signal: string | null;
  reason: CompletionReason;
  error?: string;
}

export interface ShimOptions {
  config: Readonly<ShimConfig>;
  log: Logger;
  instance: string;
  /** The environment the worker inherits, before the shim adds its own variables. */
  env: NodeJS.ProcessEnv;
}

export class Shim {
  readonly config: Readonly<ShimConfig>;
  readonly log: Logger;
  readonly paths: ProtocolPaths;
  readonly #options: ShimOptions;
  readonly #state: StateFile;
  readonly #coordination: CoordinationReader;
  readonly #drained: Promise<void>;
  #resolveDrained: () => void = () => {};
  #drainSource: DrainSource | undefined;
  #reporting: boolean;
  #tasks = 0;
  #run: WorkerRun | undefined;
  /** The busy state last logged, with what it was based on, so each change is logged once. */
  #loggedBusy: string | undefined;
  #finished = false;

  constructor(options: ShimOptions) {
    this.#options = options;
    this.config = options.config;
    this.log = options.log;
    this.paths = protocolPaths(options.config.dir, options.config.markerName);
    this.#reporting = options.config.reportsTasks;
    this.#drained = new Promise((resolve) => (this.#resolveDrained = resolve));
    this.#state = new StateFile({
      path: this.paths.workerState,
      instance: options.instance,
      mode: options.config.mode,
      heartbeatIntervalMs: options.config.heartbeatIntervalMs,
      log: options.log,
    });
    this.#coordination = new CoordinationReader({
      paths: this.paths,
      watchPoll: options.config.watchPoll,
      pollIntervalMs: options.config.pollIntervalMs,
      log: options.log,
      onRead: (view) => this.#onRead(view),
    });
  }

  /** Prepares the directory, publishes "starting" and starts watching; then a mode runs. */
  async prepare(): Promise<void> {
    const cleared = await clearPreviousInstance(this.paths);
    this.log.info({ event: 'state.cleared', dir: this.paths.dir, ...cleared },
      'state of any earlier instance removed');
    await this.#state.publish();
    this.#state.startHeartbeat();
    await this.#coordination.start();
  }

  draining(): boolean {
    return this.#drainSource !== undefined;
  }

  /** Resolves when a drain is requested; never rejects. */
  whenDrained(): Promise<void> {
    return this.#drained;
  }

  requestDrain(source: DrainSource, signal?: NodeJS.Signals): void {
    if (this.#drainSource !== undefined) {
      // drain.json stays for the life of the pod and is re-read often: only signals are news.
      if (source === 'signal') {
        this.log.debug({ event: 'drain.repeated', source, signal }, 'drain already in progress');
      }
      return;
    }
    this.#drainSource = source;
    this.log.info({ event: 'drain.requested', source, signal, pid: this.#run?.pid ?? null },
      'drain requested');
    this.#resolveDrained();
    void this.#update();
  }

  forwardSignal(signal: NodeJS.Signals): void {
    const run = this.#run;
    if (run === undefined || run.child.exit()) {
      this.log.info({ event: 'signal.not_forwarded', signal },
        'no worker is running to forward to');
      return;
    }
    const delivered = run.child.signalGroup(signal);
    this.log.info({ event: 'signal.forwarded', signal, pid: run.pid, delivered },
      'signal forwarded to the worker process group');
  }

  /**
   * Spawns the worker. When it cannot be started, finishes the shim (final marker with the
   * error) and resolves with the exit code instead, as a shell would: 127 or 126.
   */
  async startRunOrFinish(): Promise<WorkerRun | number> {
    try {
      return await this.#startRun();
    } catch (err) {
      if (err instanceof SpawnError) return this.#spawnFailed(err);
      throw err;
    }
  }

  async #startRun(): Promise<WorkerRun> {
    const { config, instance, env } = this.#options;
    const child = await spawnGroup(config.command, config.args, {
      env: {
        ...env,
        DRAINWATCH_TASKS_DIR: this.paths.tasksDir,
        DRAINWATCH_STATE_FILE: this.paths.workerState,
        DRAINWATCH_INSTANCE: instance,
      },
    });
    const run = new WorkerRun(child, {
      mode: config.mode,
      drainSignal: config.drainSignal,
      stopTimeoutMs: config.stopTimeoutMs,
      log: this.log,
    });
    this.#run = run;
    this.log.info({ event: 'worker.spawned', pid: child.pid, command: config.command,
      args: config.args }, 'worker started');
    await this.#update();
    return run;
  }

  /**
   * Forgets a run once its outcome is known. Task entries it left behind (it crashed or was
   * killed mid-task) are removed: its tasks ended with it, and a stale entry would keep the next
   * run busy in the shim's eyes for ever.
   */
  async endRun(run: WorkerRun): Promise<void> {
    if (this.#run === run) this.#run = undefined;
    const stale = await removeTaskEntries(this.paths.tasksDir);
    if (stale > 0) {
      this.log.warn({ event: 'tasks.cleared', pid: run.pid, tasks: stale },
        'worker exited with tasks still recorded; entries removed');
    }
    this.#noteTasks(stale);
    this.#tasks = 0;
    await this.#update();
  }

  /** Ends the shim without ever running the worker: a drain came first. */
  finishUnstarted(): Promise<number> {
    this.log.info({ event: 'worker.not_started' }, 'drain requested before the worker started');
    return this.finish({ exitCode: 0, markerExitCode: null, signal: null, reason: 'drained' });
  }

  #spawnFailed(err: SpawnError): Promise<number> {
    this.log.error({ event: 'worker.spawn_failed', command: this.config.command,
      exitCode: err.exitCode, err }, 'cannot start the worker');
    return this.finish({
      exitCode: err.exitCode,
      markerExitCode: err.exitCode,
      signal: null,
      reason: 'spawn-failed',
      error: err.message,
    });
  }

  /** Publishes "finished", then writes the completion marker; returns the shim's exit code. */
  async finish(completion: Completion): Promise<number> {
    this.#finished = true;
    await this.#coordination.close();
    await this.#state.stopHeartbeat();
    await this.#state.set('finished', process.pid);

    const drained = this.draining();
    const marker: CompletionMarker = {
      version: PROTOCOL_VERSION,
      instance: this.#options.instance,
      exitCode: completion.markerExitCode,
      signal: completion.signal,
      // A command that cannot start will not start next time either.
      final: completion.reason === 'spawn-failed' ||
        isFinalExit(this.config.restartPolicy, completion.exitCode, drained),
      reason: completion.reason,
      ...(completion.error === undefined ? {} : { error: completion.error }),
      time: new Date().toISOString(),
    };
    await writeJsonAtomic(this.paths.marker, marker);
    const { reason, final, exitCode, signal } = marker;
    const path = this.paths.marker;
    this.log.info({ event: 'marker.written', path, reason, final, exitCode, signal },
      'completion marker written');
    return completion.exitCode;
  }

  #onRead(view: Coordination): void {
    this.#tasks = view.tasks;
    this.#noteTasks(view.tasks);
    if (view.drainRequested) this.requestDrain('file');
    void this.#update();
  }

  /** The first task entry seen shows that the worker reports its tasks. */
  #noteTasks(tasks: number): void {
    if (tasks === 0 || this.#reporting) return;
    this.#reporting = true;
    this.log.info({ event: 'worker.reports_tasks' },
      'worker reports its tasks; busy now follows them');
  }

  #view(): RunView {
    return {
      draining: this.draining(),
      // A run of a worker that reports nothing may be working at any moment: count it busy.
      busy: this.#reporting ? this.#tasks > 0 : this.#run !== undefined,
      reporting: this.#reporting,
    };
  }

  async #update(): Promise<void> {
    if (this.#finished) return;
    const view = this.#view();
    const phase: WorkerPhase = view.draining ? 'draining' : view.busy ? 'busy' : 'idle';
    this.#logBusy(view.busy);
    // worker.json says "draining" before the worker hears of it by signal, so a worker that
    // looks at the file on that signal finds the drain.
    await this.#state.set(phase, this.#run?.pid ?? process.pid);
    try {
      this.#run?.apply(this.#view());
    } catch (err) {
      // Only a signal the kernel refuses (EPERM) lands here; the next read tries again.
      this.log.error({ event: 'worker.signal_failed', pid: this.#run?.pid, err },
        'cannot signal the worker process group');
    }
  }

  #logBusy(busy: boolean): void {
    const key = `${busy}/${this.#reporting}`;
    if (this.#run === undefined || key === this.#loggedBusy) return;
    this.#loggedBusy = key;
    const fields = { pid: this.#run.pid, tasks: this.#tasks, reporting: this.#reporting };
    if (busy) this.log.info({ event: 'worker.busy', ...fields }, 'worker is busy');
    else this.log.info({ event: 'worker.idle', ...fields }, 'worker is idle');
  }
}
