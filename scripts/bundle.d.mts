// Types of scripts/bundle.mjs, for the TypeScript that imports it (the bench and the tests).

export interface Program {
  name: string;
  entry: string;
}

export interface Bundle {
  outfile: string;
  bytes: number;
  /** Directories of the npm packages inlined. */
  packages: string[];
}

export const ROOT: string;
export const BUNDLE_DIR: string;
export const PROGRAMS: readonly Program[];
export function bundleProgram(entry: string, outfile: string): Promise<Bundle>;
export function bundlePrograms(outDir?: string): Promise<Array<Bundle & { name: string }>>;
