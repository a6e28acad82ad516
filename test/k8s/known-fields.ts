// Finds fields that the Kubernetes API does not define (`spec.replicaz`). kubernetes-models
// validates types and required fields but lets unknown fields through, and the API server
// would silently drop them (or reject them with strict field validation). The models ship no
// JSON schemas, only compiled validators and TypeScript declarations, so the declarations are
// the schema here: the TypeScript checker resolves each interface, and the object is walked
// against it property by property.

import { createRequire } from 'node:module';
import ts from 'typescript';

import { objectName, type K8sObject } from './render.js';

const require = createRequire(import.meta.url);

/** The kubernetes-models module of a built-in kind: "kubernetes-models/apps/v1/Deployment". */
export function modelModule(apiVersion: string, kind: string): string {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  return `kubernetes-models/${group ? `${group}/` : ''}${version}/${kind}`;
}

export class KnownFields {
  readonly #program: ts.Program;
  readonly #checker: ts.TypeChecker;
  readonly #declarations = new Map<string, string>();

  /** Loads the declarations of the given built-in kinds ("apps/v1 Deployment", ...). */
  constructor(kinds: ReadonlyArray<{ apiVersion: string; kind: string }>) {
    for (const { apiVersion, kind } of kinds) {
      const module = modelModule(apiVersion, kind);
      const script = require.resolve(module);
      this.#declarations.set(`${apiVersion} ${kind}`, script.replace(/\.c?js$/, '.d.ts'));
    }
    this.#program = ts.createProgram([...this.#declarations.values()], {
      noEmit: true,
      skipLibCheck: true,
      strict: true,
    });
    this.#checker = this.#program.getTypeChecker();
  }

  /** Every field of `obj` that its kind does not declare, as "Kind/name: path: message". */
  unknownFields(obj: K8sObject): string[] {
    const file = this.#declarations.get(`${obj.apiVersion} ${obj.kind}`);
    if (file === undefined) {
      return [`${objectName(obj)}: no declarations loaded for ${obj.apiVersion} ${obj.kind}`];
    }
    const type = this.#rootType(file, `I${obj.kind}`);
    const problems: string[] = [];
    this.#walk(obj, type, '', (path, detail) => {
      problems.push(`${objectName(obj)}: ${path}: ${detail}`);
    });
    return problems;
  }

  #rootType(file: string, name: string): ts.Type {
    const source = this.#program.getSourceFile(file);
    const module = source && this.#checker.getSymbolAtLocation(source);
    const symbol = module && this.#checker.getExportsOfModule(module).find((s) => s.name === name);
    if (!symbol) throw new Error(`interface ${name} not found in ${file}`);
    return this.#checker.getDeclaredTypeOfSymbol(symbol);
  }

  #walk(value: unknown, declared: ts.Type, path: string, report: Report): void {
    const type = this.#checker.getNonNullableType(declared);
    if (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return;
    if (Array.isArray(value)) {
      const element = this.#elementType(type);
      if (element === undefined) {
        report(path, `is a list, but the API declares ${this.#checker.typeToString(type)}`);
        return;
      }
      value.forEach((item, index) => this.#walk(item, element, `${path}[${index}]`, report));
      return;
    }
    if (value === null || typeof value !== 'object') return;
    const objectType = this.#objectMember(type);
    if (objectType === undefined) return;
    const index = this.#checker.getIndexInfoOfType(objectType, ts.IndexKind.String);
    for (const [key, child] of Object.entries(value)) {
      const childPath = path === '' ? key : `${path}.${key}`;
      const property = this.#checker.getPropertyOfType(objectType, key);
      if (property) {
        this.#walk(child, this.#checker.getTypeOfSymbol(property), childPath, report);
      } else if (index) {
        this.#walk(child, index.type, childPath, report);
      } else {
        const known = this.#checker.getPropertiesOfType(objectType).map((p) => p.name);
        report(childPath, `unknown field "${key}" (known here: ${known.join(', ')})`);
      }
    }
  }

  #elementType(type: ts.Type): ts.Type | undefined {
    const candidates = type.isUnion() ? type.types : [type];
    const array = candidates.find((t) => this.#checker.isArrayType(t));
    return array && this.#checker.getTypeArguments(array as ts.TypeReference)[0];
  }

  /** The object-like member of a type such as `IntOrString` or `Foo | undefined`. */
  #objectMember(type: ts.Type): ts.Type | undefined {
    const members = (type.isUnion() ? type.types : [type]).filter(
      (t) => (t.flags & ts.TypeFlags.Object) !== 0 && !this.#checker.isArrayType(t),
    );
    return members.length === 1 ? members[0] : undefined;
  }
}

type Report = (path: string, detail: string) => void;
