// The kubelet's status rules, as pure functions of container states: whether an exited
// container restarts (I3, H3), the pod's terminal phase (K1, H7) and its Ready condition (J2).

import type { Container, ContainerExit } from './container.js';
import type { RestartPolicy } from './types.js';

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed';

/** Sidecars always restart; main containers follow the pod's restartPolicy. */
export function shouldRestart(
  container: Container,
  exit: ContainerExit,
  policy: RestartPolicy,
): boolean {
  if (container.role === 'sidecar') return true;
  if (policy === 'Always') return true;
  return policy === 'OnFailure' && exit.exitCode !== 0;
}

/** Succeeded when every regular container has exited 0, whatever the sidecars did. */
export function terminalPhase(containers: readonly Container[], failedToStart: boolean) {
  const mains = containers.filter((c) => c.role === 'main');
  const succeeded = mains.every((c) => c.lastExit?.exitCode === 0 && !c.isRunning);
  return succeeded && !failedToStart ? 'Succeeded' : 'Failed';
}

/** Ready when running and every main container and sidecar runs and is ready. */
export function isPodReady(containers: readonly Container[], phase: PodPhase): boolean {
  const counted = containers.filter((c) => c.role !== 'init');
  return phase === 'Running' && counted.every((c) => c.isRunning && c.ready);
}
