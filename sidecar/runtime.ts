// Wires the parts together: directory reads and watch events feed the coordinator, timers
// re-check the clock rules, HTTP serves the state, and the end (release, or the wrapped child
// dying) is turned into an exit code after every held /prestop has been answered.

import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';

import { exitCodeOf, type ChildExit, type GroupChild, SpawnError } from '../common/child.js';
import type { Logger } from '../common/log.js';
import {
  PROTOCOL_VERSION, readDrainRequest, writeJsonAtomic, type DrainRequest,
} from '../common/protocol.js';
import type { SidecarConfig } from './config.js';
import { Coordinator, type Drain, type Release } from './coordinator.js';
import { readSnapshot, SnapshotPump } from './directory.js';
import { EXIT } from './exit-codes.js';
import { SidecarHttp, type Ending } from './http.js';
import { SidecarMetrics } from './metrics.js';
import { startWrapped, stopWrapped } from './wrap.js';

/** Bound on flushing held /prestop answers before exit. */
const SETTLE_MS = 2000;
const MAX_TICK_MS = 1000;
const MIN_TICK_MS = 25;

export class Sidecar {
  readonly #config: SidecarConfig;
  readonly #command: readonly string[] | undefined;
  readonly #log: Logger;
  readonly #id = randomUUID();
  readonly #coordinator: Coordinator;
  readonly #pump: SnapshotPump;
  readonly #http: SidecarHttp;
  readonly #ending: Promise<Ending>;
  #end!: (ending: Ending) => void;
  #child: GroupChild | undefined;
  #tick: NodeJS.Timeout | undefined;
  #drainTimer: NodeJS.Timeout | undefined;
  #signals = 0;
  #spawnFailureCode: number = EXIT.internalFailure;
  #spawning: Promise<void> | undefined;

  constructor(config: SidecarConfig, command: readonly string[] | undefined, log: Logger) {
    this.#config = config;
    this.#command = command;
    this.#log = log;
    this.#ending = new Promise((resolve) => {
      this.#end = resolve;
    });
    this.#coordinator = new Coordinator({
      heartbeatTimeoutMs: config.heartbeatTimeoutMs,
      drainTimeoutMs: config.drainTimeoutMs,
      now: Date.now,
      log,
      onDrainStarted: (drain) => void this.#writeDrainRequest(drain),
      onReleased: (release: Release) => this.#end({ kind: 'released', release }),
    });
    this.#pump = new SnapshotPump(
      () => readSnapshot(config.paths),
      (snapshot) => {
        this.#coordinator.observe(snapshot);
        this.#armDrainTimer();
      },
      (err) => log.warn({ event: 'watch.read_failed', err },
        'cannot read the coordination directory'),
    );
    const metrics = new SidecarMetrics({
      coordinator: this.#coordinator,
      prestopWaiting: () => this.#http.prestopWaiting(),
    });
    this.#http = new SidecarHttp({
      coordinator: this.#coordinator,
      ending: this.#ending,
      metrics,
      token: config.prestopToken,
      prestopTimeoutMs: config.prestopTimeoutMs,
      log,
    });
  }

  /** Runs until the end; resolves with the exit code. */
  async run(): Promise<number> {
    // Start-up runs beside the wait: a marker present at start may release before the
    // watcher is ready, and then nothing should wait for it.
    const startFailure = this.#start().then(() => new Promise<never>(() => undefined));
    const ending = await Promise.race([this.#ending, startFailure]);
    return this.#finish(ending);
  }

  /** SIGTERM or SIGINT: the first starts the drain; later ones are logged and change nothing. */
  signal(signal: NodeJS.Signals): void {
    this.#signals += 1;
    if (this.#coordinator.startDrain('sigterm')) {
      this.#armDrainTimer();
      return;
    }
    // The kubelet's SIGKILL at the end of the grace period is the hard stop; a repeated signal
    // must not cut the worker's task short by letting the pod go early.
    const event = this.#signals === 1 ? 'drain.signal_received' : 'drain.signal_repeated';
    this.#log.info({ event, signal, count: this.#signals, phase: this.#coordinator.phase },
      'signal received while draining; still waiting for the worker');
  }

  async #start(): Promise<void> {
    const config = this.#config;
    await this.#clearEarlierDrain();
    // Level-triggered: what the directory holds before we watch it counts (a marker may
    // already release).
    this.#pump.trigger();
    await this.#pump.settled();
    if (this.#ended()) return;
    this.#startTicking();
    // Listen before the watcher is set up: probes and /prestop work from the first snapshot,
    // and the watcher's start-up (chokidar import and initial scan) stays off the time to the
    // first answer.
    const address = await this.#http.listen(config.port, config.host);
    this.#log.info({ event: 'http.listening', address: address.address, port: address.port },
      'http server listening');
    const { watchDirectory } = await import('../common/watch.js');
    const watch = watchDirectory(config.paths.dir,
      { usePolling: config.watchPoll, pollIntervalMs: config.pollIntervalMs },
      () => this.#pump.trigger(),
      (err) => this.#log.warn({ event: 'watch.error', err }, 'file watcher reported an error'));
    await watch.ready;
    this.#log.info({ event: 'watch.ready', dir: config.paths.dir, polling: config.watchPoll },
      'watching the coordination directory');
    // Anything that changed between the first read and the watch being ready.
    this.#pump.trigger();
    if (this.#command !== undefined && !this.#ended()) {
      this.#spawning = this.#spawn(this.#command);
      await this.#spawning;
    }
  }

  async #spawn(command: readonly string[]): Promise<void> {
    try {
      this.#child = await startWrapped(command, this.#log);
    } catch (err) {
      if (!(err instanceof SpawnError)) throw err;
      this.#log.error({ event: 'child.spawn_failed', command, err, exitCode: err.exitCode },
        'wrapped command cannot start');
      this.#end({ kind: 'stopped', reason: 'spawn-failed' });
      this.#spawnFailureCode = err.exitCode;
      return;
    }
    void this.#child.exited.then((exit) => this.#childExitedEarly(exit));
  }

  #childExitedEarly(exit: ChildExit): void {
    if (this.#coordinator.phase === 'released') return;
    this.#log.warn({ event: 'child.exited', pid: this.#child?.pid, exitCode: exit.code,
      signal: exit.signal, phase: this.#coordinator.phase },
    'wrapped command exited on its own; exiting with its code');
    this.#end({ kind: 'stopped', reason: 'child-exited' });
  }

  async #finish(ending: Ending): Promise<number> {
    clearInterval(this.#tick);
    clearTimeout(this.#drainTimer);
    // A child being spawned right now must be known before deciding how to stop it: it runs in
    // its own process group and would outlive us.
    await this.#spawning;
    const flushed = await this.#http.settle(SETTLE_MS);
    if (!flushed) {
      this.#log.warn({ event: 'http.settle_timeout', settleMs: SETTLE_MS },
        'some http responses were still in flight at exit');
    }
    const code = await this.#exitCodeFor(ending);
    this.#log.info({ event: 'sidecar.exiting', exitCode: code,
      reason: ending.kind === 'released' ? ending.release.reason : ending.reason },
    'sidecar exiting');
    return code;
  }

  async #exitCodeFor(ending: Ending): Promise<number> {
    if (ending.kind === 'stopped') {
      if (ending.reason === 'spawn-failed') return this.#spawnFailureCode;
      const exit = this.#child?.exit();
      return exit === undefined ? EXIT.internalFailure : exitCodeOf(exit);
    }
    let code: number = EXIT.released;
    if (this.#child !== undefined) {
      code = await stopWrapped(this.#child, {
        stopSignal: this.#config.childStopSignal,
        stopTimeoutMs: this.#config.stopTimeoutMs,
        successCodes: this.#config.childSuccessCodes,
      }, this.#log);
    }
    // A forced release says so in its code even in wrap mode: it is the degraded path.
    if (ending.release.reason === 'worker-lost') return EXIT.workerLost;
    if (ending.release.reason === 'drain-timeout') return EXIT.drainTimeout;
    return code;
  }

  #ended(): boolean {
    return this.#coordinator.phase === 'released';
  }

  #startTicking(): void {
    // The heartbeat must be judged even when no file event comes (a SIGKILLed worker writes
    // nothing), so the clock rules are re-checked on a timer.
    const tickMs = Math.min(MAX_TICK_MS,
      Math.max(MIN_TICK_MS, Math.floor(this.#config.heartbeatTimeoutMs / 4)));
    this.#tick = setInterval(() => this.#coordinator.evaluate(), tickMs);
  }

  #armDrainTimer(): void {
    if (this.#drainTimer !== undefined) return;
    const inMs = this.#coordinator.drainDeadlineInMs();
    if (inMs === undefined) return;
    this.#drainTimer = setTimeout(() => this.#coordinator.evaluate(), inMs + 1);
  }

  /**
   * A drain.json found at start-up was written by an earlier start of this container. The
   * kubelet restarts no container of a terminating pod, so if this container was restarted the
   * pod is running: that drain came from a container-level stop (a failed liveness probe runs
   * the preStop hook and sends SIGTERM too). Resuming it would drain the worker of a healthy pod
   * for ever, so it is removed. A worker that has already drained finishes and writes a final
   * marker, which releases this sidecar without a drain.
   */
  async #clearEarlierDrain(): Promise<void> {
    const path = this.#config.paths.drainRequest;
    const found = await readDrainRequest(path);
    if (found.kind === 'absent') return;
    await rm(path, { force: true });
    this.#log.warn({ event: 'drain.cleared', path,
      requestedAt: found.kind === 'valid' ? found.body.requestedAt : null,
      by: found.kind === 'valid' ? found.body.by : null },
    'drain request from an earlier start of this container removed; the pod is running');
  }

  async #writeDrainRequest(drain: Drain): Promise<void> {
    const body: DrainRequest = {
      version: PROTOCOL_VERSION,
      requestedAt: new Date(drain.requestedAtMs).toISOString(),
      reason: drain.reason,
      by: this.#id,
    };
    try {
      await mkdir(this.#config.paths.stateDir, { recursive: true });
      await writeJsonAtomic(this.#config.paths.drainRequest, body);
      this.#log.debug({ event: 'drain.written', path: this.#config.paths.drainRequest },
        'drain request written');
    } catch (err) {
      this.#log.error({ event: 'drain.write_failed', err, path: this.#config.paths.drainRequest },
        'cannot write drain.json; the shim will only learn of the drain from its own signal');
    }
  }
}
