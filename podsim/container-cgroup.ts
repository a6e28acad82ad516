// A cgroup v2 directory per container, so that a container's end kills every process it
// started, as a container runtime does, whatever session or process group they moved to.
// Layout: <cgroup2 mount>/podsim/pod-<agent host pid>/{agent, c1, c2, ...}. The pod agent lives
// in `agent`; a child joins its container's cgroup at fork, because the agent moves itself
// into that cgroup around the (synchronous) spawn and back. Killing is cgroup.kill (Linux 5.14).

import {
  existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

const PODSIM_DIR = 'podsim';

/** Where cgroup v2 is mounted (/sys/fs/cgroup, or /sys/fs/cgroup/unified in hybrid mode). */
export function cgroup2Mount(mountinfo = '/proc/self/mountinfo'): string | undefined {
  for (const line of readFileSync(mountinfo, 'utf8').split('\n')) {
    const [before, after] = line.split(' - ');
    if (after?.split(' ')[0] === 'cgroup2') return before?.split(' ')[4];
  }
  return undefined;
}

function tryRmdir(dir: string): boolean {
  try {
    rmdirSync(dir);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

/** Removes a cgroup directory and the cgroups under it; false when one is still in use. */
export function removeCgroupTree(dir: string): boolean {
  let entries: string[];
  try {
    entries = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory())
      .map((e) => e.name);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT';
  }
  const children = entries.map((name) => removeCgroupTree(join(dir, name)));
  return children.every(Boolean) && tryRmdir(dir);
}

/** Removes the pod cgroups of agents that no longer run (a podsim that was SIGKILLed). */
function sweepStale(parent: string): void {
  for (const name of readdirSync(parent)) {
    const pid = /^pod-(\d+)$/.exec(name)?.[1];
    if (pid !== undefined && !existsSync(`/proc/${pid}`)) removeCgroupTree(join(parent, name));
  }
}

export class PodCgroups {
  readonly root: string;
  readonly #agentDir: string;
  #next = 1;

  private constructor(root: string) {
    this.root = root;
    this.#agentDir = join(root, 'agent');
  }

  /**
   * Creates the pod's cgroup and moves the calling agent into it. Throws an error that says
   * why when this machine cannot (no cgroup v2, no cgroup.kill, not writable).
   */
  static open(agentHostPid: number): PodCgroups {
    const mount = cgroup2Mount();
    if (mount === undefined) throw new Error('no cgroup2 file system is mounted');
    const parent = join(mount, PODSIM_DIR);
    mkdirSync(parent, { recursive: true });
    sweepStale(parent);
    const cgroups = new PodCgroups(join(parent, `pod-${agentHostPid}`));
    mkdirSync(cgroups.#agentDir, { recursive: true });
    if (!existsSync(join(cgroups.#agentDir, 'cgroup.kill'))) {
      removeCgroupTree(cgroups.root);
      throw new Error(`${mount} has no cgroup.kill (it needs Linux 5.14 or later)`);
    }
    writeFileSync(join(cgroups.#agentDir, 'cgroup.procs'), '0');
    return cgroups;
  }

  /** A new, empty cgroup for one run of a container (or for one exec without a container). */
  create(): string {
    const dir = join(this.root, `c${this.#next++}`);
    mkdirSync(dir);
    return dir;
  }

  /** Runs `spawn` with the agent inside `dir`, so that what it forks starts there. */
  spawnInto<T>(dir: string, spawn: () => T): T {
    writeFileSync(join(dir, 'cgroup.procs'), '0');
    try {
      return spawn();
    } finally {
      writeFileSync(join(this.#agentDir, 'cgroup.procs'), '0');
    }
  }

  /** SIGKILLs every process in `dir`; false when the cgroup is gone already. */
  kill(dir: string): boolean {
    try {
      writeFileSync(join(dir, 'cgroup.kill'), '1');
      return true;
    } catch {
      return false;
    }
  }

  /** True while a process is left in `dir`. */
  populated(dir: string): boolean {
    try {
      return /^populated 1$/m.test(readFileSync(join(dir, 'cgroup.events'), 'utf8'));
    } catch {
      return false;
    }
  }

  /** Removes an emptied container cgroup; false while it still holds a process. */
  remove(dir: string): boolean {
    return tryRmdir(dir);
  }
}
