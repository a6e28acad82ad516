// An emulator workaround, not part of the example. In a cluster every process of a container
// dies with it; podsim stops only the main process's group, and drainwatch-shim runs the worker
// in a group of its own. So the worker watches its parent, the shim, and ends itself (SIGKILL,
// as the kernel would) the moment the shim is gone.

const CHECK_MS = 50;

export function dieWithParent(): void {
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) process.kill(process.pid, 'SIGKILL');
  }, CHECK_MS).unref();
}
