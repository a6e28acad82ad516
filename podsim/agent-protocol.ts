// Messages between podsim (host side) and a pod agent, one JSON object per line: requests on
// the agent's stdin, replies and reports on its stdout.

export interface VolumeBinding {
  hostDir: string;
  mountPath: string;
}

export interface HostPortBinding {
  port: number;
  socket: string;
}

export type AgentRequest =
  | { op: 'init'; volumes: VolumeBinding[]; hostPorts: HostPortBinding[] }
  | {
      op: 'spawn';
      id: string;
      argv: string[];
      env: Record<string, string>;
      cwd: string;
      /** Emulate a PID-namespace init: drop catchable signals the process does not handle. */
      pid1Signals: boolean;
    }
  | { op: 'signal'; id: string; signal: NodeJS.Signals; scope: 'leader' | 'group' }
  | {
      op: 'exec';
      req: number;
      id: string;
      argv: string[];
      env: Record<string, string>;
      cwd: string;
      timeoutMs: number | null;
    }
  | {
      op: 'http';
      req: number;
      scheme: string;
      host: string;
      port: number;
      path: string;
      headers: Array<[string, string]>;
      timeoutMs: number | null;
    }
  | { op: 'tcp'; req: number; host: string; port: number; timeoutMs: number };

export type AgentReport =
  /** `cgroup`: the pod's cgroup directory; `cgroupError`: why there is none. */
  | { type: 'ready'; hostPid: number; cgroup?: string; cgroupError?: string }
  | { type: 'fatal'; message: string }
  | { type: 'started'; id: string; pid: number; hostPid?: number }
  | { type: 'spawnFailed'; id: string; message: string }
  | { type: 'exit'; id: string; code: number | null; signal: NodeJS.Signals | null }
  | { type: 'signalled'; id: string; signal: NodeJS.Signals; delivered: boolean; note?: string }
  | { type: 'log'; id: string; stream: 'stdout' | 'stderr'; line: string }
  | { type: 'result'; req: number; ok: boolean; status?: number; exitCode?: number;
      error?: string; output?: string; timedOut?: boolean };
