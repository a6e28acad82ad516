// Maps container images to local command lines and decides what a container runs, following
// Kubernetes' command/args versus ENTRYPOINT/CMD table. A mapping's command line stands for the
// image's ENTRYPOINT (its first word) followed by its CMD (the other words).

import { PodsimError } from './errors.js';
import type { ContainerSpec } from './types.js';

export interface ImageCommand {
  entrypoint: string[];
  cmd: string[];
}

export type ImageMap = ReadonlyMap<string, ImageCommand>;

/** Parses one `NAME=COMMAND LINE` flag value. */
export function parseImageFlag(text: string): [string, ImageCommand] {
  const equals = text.indexOf('=');
  const name = equals > 0 ? text.slice(0, equals).trim() : '';
  const words = equals > 0 ? splitCommandLine(text.slice(equals + 1)) : [];
  if (name === '' || words.length === 0) {
    throw new PodsimError('PODSIM_USAGE', `--image is "${text}"; expected NAME=COMMAND, such as ` +
      '--image "worker:1.0=node worker.js"');
  }
  return [name, { entrypoint: words.slice(0, 1), cmd: words.slice(1) }];
}

/** Splits a command line into words: whitespace separates, '...' and "..." quote, \ escapes. */
export function splitCommandLine(text: string): string[] {
  const words: string[] = [];
  let current: string | undefined;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i]!;
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"' && i + 1 < text.length) current += text[++i]!;
      else current += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      current ??= '';
    } else if (ch === '\\' && i + 1 < text.length) {
      current = (current ?? '') + text[++i]!;
    } else if (/\s/.test(ch)) {
      if (current !== undefined) words.push(current);
      current = undefined;
    } else {
      current = (current ?? '') + ch;
    }
  }
  if (current !== undefined) words.push(current);
  return words;
}

/** The image reference without digest and tag: "reg.io:5000/team/app:1.2@sha256:..." -> path. */
function withoutTag(image: string): string {
  const noDigest = image.split('@')[0]!;
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}

function lastComponent(image: string): string {
  const path = withoutTag(image);
  return path.slice(path.lastIndexOf('/') + 1);
}

/**
 * Finds the mapping for `image`. Tried in order, the first level with exactly one match wins:
 * the exact reference; the reference without tag or digest; the last path component without
 * tag. Keys are compared the same way, so "worker" matches "ghcr.io/acme/worker:2.1".
 */
export function lookupImage(images: ImageMap, image: string): ImageCommand | undefined {
  const levels: Array<(s: string) => string> = [(s) => s, withoutTag, lastComponent];
  for (const normalise of levels) {
    const wanted = normalise(image);
    const matches = [...images.entries()].filter(([key]) => normalise(key) === wanted);
    if (matches.length === 1) return matches[0]![1];
    if (matches.length > 1) {
      const keys = matches.map(([key]) => key).join(', ');
      throw new PodsimError('PODSIM_USAGE', `image "${image}" matches several --image ` +
        `mappings (${keys}); give the full image reference as the mapping name`);
    }
  }
  return undefined;
}

/**
 * The argv a container runs, after the Kubernetes rule:
 * command set -> command + args (image ignored); args only -> image ENTRYPOINT + args;
 * neither -> image ENTRYPOINT + CMD.
 */
export function containerArgv(
  container: ContainerSpec,
  images: ImageMap,
  where: string,
): string[] {
  if (container.command && container.command.length > 0) {
    return [...container.command, ...(container.args ?? [])];
  }
  const image = container.image ?? '';
  const mapped = lookupImage(images, image);
  if (!mapped) {
    throw new PodsimError('PODSIM_IMAGE_UNMAPPED', `${where}: container "${container.name}" ` +
      `uses image "${image}" and sets no command, and no --image mapping matches it. Add ` +
      `--image "${image}=COMMAND LINE" (or set command in the manifest)`);
  }
  if (container.args !== undefined) return [...mapped.entrypoint, ...container.args];
  return [...mapped.entrypoint, ...mapped.cmd];
}

/**
 * Expands $(VAR) references from the container's environment, as the kubelet does for
 * command and args: "$$" is a literal "$", an unknown $(VAR) stays as written.
 */
export function expandReferences(text: string, env: Readonly<Record<string, string>>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (whole, name?: string) => {
    if (whole === '$$') return '$';
    return name !== undefined && env[name] !== undefined ? env[name]! : whole;
  });
}
