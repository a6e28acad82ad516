// Watches the coordination directory. Consumers are level-triggered: every event only says
// "something under the directory may have changed", and the consumer re-reads the files it
// cares about. That makes the quirks of file events harmless: chokidar reports a file that
// is deleted and quickly re-created as `change` rather than `add`, and several events may
// arrive for one rename.

import { watch, type FSWatcher } from 'chokidar';

import { isTemporaryName } from './protocol.js';

export interface WatchOptions {
  /** Poll instead of inotify, for volumes where inotify sees nothing (network filesystems). */
  usePolling: boolean;
  pollIntervalMs: number;
}

export interface DirectoryWatch {
  /** Resolves once the initial scan is done and events are flowing. */
  ready: Promise<void>;
  close(): Promise<void>;
}

/**
 * Calls `onChange(path)` for every file or directory added, changed or removed under `dir`.
 * `dir` itself should exist: chokidar sees nothing below a path two levels under a missing
 * directory.
 */
export function watchDirectory(
  dir: string,
  options: WatchOptions,
  onChange: (path: string) => void,
  onError: (err: unknown) => void,
): DirectoryWatch {
  const watcher: FSWatcher = watch(dir, {
    ignoreInitial: true,
    usePolling: options.usePolling,
    interval: options.pollIntervalMs,
    ignored: (path: string) => isTemporaryName(path),
  });
  watcher.on('all', (_event, path) => onChange(path));
  watcher.on('error', onError);
  const ready = new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  let closing: Promise<void> | undefined;
  return {
    ready,
    close: () => (closing ??= watcher.close()),
  };
}
