// The bin directory the emulator puts first on every container's PATH: it maps the commands
// the manifests name (drainwatch-shim, drainwatch-sidecar, queue-worker) to built files. Each
// entry is a script whose interpreter is node's absolute path, so no shell is involved; `node`
// and podsim's `setpriv` are linked in for containers whose PATH is only this directory.

import { chmod, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Writes one entry per command (name -> built .js file) into `dir`; returns `dir`. */
export async function writeBins(dir: string, programs: Record<string, string>): Promise<string> {
  await mkdir(dir, { recursive: true });
  for (const [name, target] of Object.entries(programs)) {
    const url = JSON.stringify(pathToFileURL(target).href);
    const script = `#!${process.execPath}\nimport(${url});\n`;
    await writeFile(join(dir, name), script);
    await chmod(join(dir, name), 0o755);
  }
  await symlink(process.execPath, join(dir, 'node'));
  await symlink('/usr/bin/setpriv', join(dir, 'setpriv'));
  return dir;
}
