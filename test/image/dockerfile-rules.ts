// The rules the drainwatch Dockerfile must keep, checked on the parse tree of a real
// Dockerfile parser (dockerfile-ast) plus the linter built on it (dockerfile-utils), since
// neither hadolint nor a Docker engine runs here.

import {
  DockerfileParser,
  JSONInstruction,
  ModifiableInstruction,
  type Instruction,
} from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';

export const BASE_IMAGE = 'node:20-bookworm-slim';
const REQUIRED_LABELS = ['title', 'description', 'version', 'licenses', 'source'].map(
  (l) => `org.opencontainers.image.${l}`,
);
/** Where the runtime stage keeps the bundles (scripts/bundle.mjs output, dist/bundle/). */
const BUNDLE_HOME = '/opt/drainwatch';

interface Stage {
  name: string;
  line: number;
  instructions: Instruction[];
}

function stagesOf(content: string): Stage[] {
  const dockerfile = DockerfileParser.parse(content);
  const stages: Stage[] = [];
  for (const instruction of dockerfile.getInstructions()) {
    const line = instruction.getRange().start.line + 1;
    if (instruction.getKeyword() === 'FROM') {
      const args = instruction.getArguments().map((a) => a.getValue());
      const as = args.findIndex((a) => a.toUpperCase() === 'AS');
      stages.push({ name: as >= 0 ? args[as + 1]! : `#${stages.length}`, line, instructions: [] });
    }
    stages.at(-1)?.instructions.push(instruction);
  }
  return stages;
}

function execForm(instruction: Instruction | undefined): string[] | undefined {
  if (!(instruction instanceof JSONInstruction)) return undefined;
  const strings = instruction.getJSONStrings();
  return strings.length > 0 ? strings.map((s) => s.getJSONValue()) : undefined;
}

/** The --from stage of a COPY, or undefined for a copy from the build context. */
function copyFrom(copy: Instruction): string | undefined {
  if (!(copy instanceof ModifiableInstruction)) return undefined;
  return copy.getFlags().find((f) => f.getName() === 'from')?.getValue() ?? undefined;
}

function last(stage: Stage, keyword: string): Instruction | undefined {
  return stage.instructions.filter((i) => i.getKeyword() === keyword).at(-1);
}

function at(i: Instruction): string {
  return `line ${i.getRange().start.line + 1}`;
}

/** Every broken rule, as "where: what"; empty when the Dockerfile is as it must be. */
export function checkDockerfile(content: string): string[] {
  const problems: string[] = validate(content).map(
    (d) => `line ${d.range.start.line + 1}: dockerfile-utils: ${d.message}`,
  );
  const stages = stagesOf(content);
  if (stages.length < 2) {
    return [...problems, 'Dockerfile: needs a build stage and a runtime stage (multi-stage)'];
  }
  for (const stage of stages) {
    const from = stage.instructions[0]!;
    const image = from.getArguments()[0]?.getValue();
    if (image !== BASE_IMAGE) {
      problems.push(`${at(from)}: stage ${stage.name} starts FROM ${image}, not ${BASE_IMAGE}`);
    }
  }
  const runtime = stages.at(-1)!;
  const where = `runtime stage "${runtime.name}" (line ${runtime.line})`;
  checkUser(runtime, where, problems);
  const entrypoint = last(runtime, 'ENTRYPOINT');
  if (JSON.stringify(execForm(entrypoint)) !== JSON.stringify(['tini', '--'])) {
    problems.push(`${where}: ENTRYPOINT must be the exec form ["tini", "--"]`);
  }
  if (JSON.stringify(execForm(last(runtime, 'CMD'))) !== JSON.stringify(['drainwatch-sidecar'])) {
    problems.push(`${where}: CMD must be the exec form ["drainwatch-sidecar"]`);
  }
  if (last(runtime, 'STOPSIGNAL')?.getArgumentsContent() !== 'SIGTERM') {
    problems.push(`${where}: STOPSIGNAL SIGTERM is missing`);
  }
  if (!runtime.instructions.some((i) => i.getKeyword() === 'EXPOSE'
    && i.getArguments().some((a) => a.getValue() === '9797'))) {
    problems.push(`${where}: EXPOSE 9797 is missing`);
  }
  const labels = runtime.instructions
    .filter((i) => i.getKeyword() === 'LABEL')
    .flatMap((i) => i.getArguments().map((a) => a.getValue().split('=')[0]!));
  for (const label of REQUIRED_LABELS.filter((l) => !labels.includes(l))) {
    problems.push(`${where}: LABEL ${label} is missing`);
  }
  checkRuntimeSteps(runtime, where, problems);
  return problems;
}

function checkUser(runtime: Stage, where: string, problems: string[]): void {
  const user = last(runtime, 'USER');
  const value = user?.getArgumentsContent() ?? '';
  const uid = value.split(':')[0]!;
  if (!user) {
    problems.push(`${where}: no USER; the image would run as root`);
  } else if (!/^\d+$/.test(uid) || Number(uid) === 0) {
    problems.push(
      `${at(user)}: USER ${value} must be a non-zero numeric uid, so that Kubernetes ` +
        'runAsNonRoot can verify it without a runAsUser',
    );
  }
}

function checkRuntimeSteps(runtime: Stage, where: string, problems: string[]): void {
  const runs = runtime.instructions.filter((i) => i.getKeyword() === 'RUN');
  const script = runs.map((i) => i.getArgumentsContent() ?? '').join('\n');
  for (const i of runs) {
    const text = i.getArgumentsContent() ?? '';
    if (/\bnpm (ci|install|i)\b/.test(text)) {
      problems.push(`${at(i)}: installs npm packages in the runtime stage; the bundles ` +
        'inline every dependency, so the image needs no node_modules');
    }
    if (/\bnpm run build\b|\btsc\b/.test(text)) {
      problems.push(`${at(i)}: the runtime stage must not build (dev dependencies)`);
    }
  }
  const copies = runtime.instructions.filter((i) => i.getKeyword() === 'COPY');
  for (const copy of copies) {
    const sources = copy.getArguments().slice(0, -1).map((a) => a.getValue());
    if (copyFrom(copy) !== undefined && sources.some((s) => s.includes('node_modules'))) {
      problems.push(`${at(copy)}: copies node_modules from another stage (dev dependencies)`);
    }
  }
  const copiesBundles = (c: Instruction) => copyFrom(c) !== undefined
    && c.getArguments().slice(0, -1).some((a) => /\/dist\/bundle\/?$/.test(a.getValue()));
  if (!copies.some(copiesBundles)) {
    problems.push(`${where}: the bundles (dist/bundle/) are not copied from the build stage`);
  }
  if (!/apt-get install[^\n&]*\btini\b/.test(script)
    && !runtime.instructions.some((i) => i.getKeyword() === 'COPY'
      && /\btini\b/.test(i.getArgumentsContent() ?? ''))) {
    problems.push(`${where}: tini is neither installed nor copied`);
  }
  for (const bin of ['drainwatch-sidecar', 'drainwatch-shim']) {
    const target = new RegExp(`ln -s (\\S+) /usr/local/bin/${bin}\\b`).exec(script)?.[1];
    const bundle = `${BUNDLE_HOME}/${bin}.cjs`;
    if (target === undefined) {
      problems.push(`${where}: no symlink /usr/local/bin/${bin}`);
    } else if (target !== bundle) {
      problems.push(
        `${where}: /usr/local/bin/${bin} points at ${target}, not the bundle ${bundle}`);
    }
  }
}

/** COPY sources (from the build context) that .dockerignore would leave out. */
export function checkContext(content: string, dockerignore: string): string[] {
  const allowed = dockerignore
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('!'))
    .map((l) => l.slice(1).replace(/\/$/, ''));
  const problems: string[] = [];
  for (const stage of stagesOf(content)) {
    for (const copy of stage.instructions.filter((i) => i.getKeyword() === 'COPY')) {
      if (copyFrom(copy) !== undefined) continue;
      const sources = copy.getArguments().slice(0, -1).map((a) => a.getValue());
      for (const source of sources) {
        const path = source.replace(/^\.\//, '').replace(/\/$/, '');
        if (!allowed.some((a) => path === a || path.startsWith(`${a}/`))) {
          problems.push(`${at(copy)}: COPY ${source} is excluded by .dockerignore`);
        }
      }
    }
  }
  return problems;
}
