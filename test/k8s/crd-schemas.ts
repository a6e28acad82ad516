// Schemas for the custom resources the manifests use (KEDA's ScaledObject and
// TriggerAuthentication), which kubernetes-models does not know. They list the fields KEDA 2.x
// defines for the parts used here, with types and required fields, and reject any other field,
// like the built-in check does. Sub-objects the manifests use but that KEDA copies through
// unchanged to the HPA (advanced.horizontalPodAutoscalerConfig.behavior) are checked as
// objects only.

export interface Schema {
  type: 'object' | 'array' | 'string' | 'integer' | 'boolean';
  properties?: Record<string, Schema>;
  required?: string[];
  /** For objects: a schema for every value (a map), or true for "not checked further". */
  values?: Schema | true;
  items?: Schema;
  minItems?: number;
  enum?: string[];
}

const str: Schema = { type: 'string' };
const int: Schema = { type: 'integer' };
const bool: Schema = { type: 'boolean' };
const anyObject: Schema = { type: 'object', values: true };
const stringMap: Schema = { type: 'object', values: str };

const metadata: Schema = {
  type: 'object',
  required: ['name'],
  properties: {
    name: str,
    namespace: str,
    labels: stringMap,
    annotations: stringMap,
  },
};

function resource(apiVersion: string, kind: string, spec: Schema): Schema {
  return {
    type: 'object',
    required: ['apiVersion', 'kind', 'metadata', 'spec'],
    properties: {
      apiVersion: { type: 'string', enum: [apiVersion] },
      kind: { type: 'string', enum: [kind] },
      metadata,
      spec,
    },
  };
}

const scaledObjectSpec: Schema = {
  type: 'object',
  required: ['scaleTargetRef', 'triggers'],
  properties: {
    scaleTargetRef: {
      type: 'object',
      required: ['name'],
      properties: { apiVersion: str, kind: str, name: str, envSourceContainerName: str },
    },
    pollingInterval: int,
    cooldownPeriod: int,
    initialCooldownPeriod: int,
    idleReplicaCount: int,
    minReplicaCount: int,
    maxReplicaCount: int,
    fallback: {
      type: 'object',
      required: ['failureThreshold', 'replicas'],
      properties: { failureThreshold: int, replicas: int },
    },
    advanced: {
      type: 'object',
      properties: {
        restoreToOriginalReplicaCount: bool,
        horizontalPodAutoscalerConfig: {
          type: 'object',
          properties: { name: str, behavior: anyObject },
        },
        scalingModifiers: anyObject,
      },
    },
    triggers: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['type', 'metadata'],
        properties: {
          type: str,
          name: str,
          metadata: stringMap,
          metricType: { type: 'string', enum: ['AverageValue', 'Value', 'Utilization'] },
          useCachedMetrics: bool,
          authenticationRef: {
            type: 'object',
            required: ['name'],
            properties: {
              name: str,
              kind: {
                type: 'string',
                enum: ['TriggerAuthentication', 'ClusterTriggerAuthentication'],
              },
            },
          },
        },
      },
    },
  },
};

const triggerAuthenticationSpec: Schema = {
  type: 'object',
  properties: {
    secretTargetRef: {
      type: 'array',
      items: {
        type: 'object',
        required: ['parameter', 'name', 'key'],
        properties: { parameter: str, name: str, key: str },
      },
    },
    env: {
      type: 'array',
      items: {
        type: 'object',
        required: ['parameter', 'name'],
        properties: { parameter: str, name: str, containerName: str },
      },
    },
    podIdentity: anyObject,
    hashiCorpVault: anyObject,
    azureKeyVault: anyObject,
    awsSecretManager: anyObject,
    gcpSecretManager: anyObject,
  },
};

/** The custom resources known to the test, by "apiVersion kind". */
export const CRD_SCHEMAS: ReadonlyMap<string, Schema> = new Map([
  [
    'keda.sh/v1alpha1 ScaledObject',
    resource('keda.sh/v1alpha1', 'ScaledObject', scaledObjectSpec),
  ],
  [
    'keda.sh/v1alpha1 TriggerAuthentication',
    resource('keda.sh/v1alpha1', 'TriggerAuthentication', triggerAuthenticationSpec),
  ],
]);

/** Checks a value against a schema; returns "path: problem" for each problem. */
export function checkSchema(value: unknown, schema: Schema, path = ''): string[] {
  const at = path === '' ? '(root)' : path;
  switch (schema.type) {
    case 'string':
      if (typeof value !== 'string') return [`${at}: must be a string`];
      if (schema.enum && !schema.enum.includes(value)) {
        return [`${at}: must be one of ${schema.enum.join(', ')}, not "${value}"`];
      }
      return [];
    case 'integer':
      return Number.isInteger(value) ? [] : [`${at}: must be an integer`];
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`${at}: must be a boolean`];
    case 'array':
      return checkArray(value, schema, path, at);
    case 'object':
      return checkObject(value, schema, path, at);
  }
}

function checkArray(value: unknown, schema: Schema, path: string, at: string): string[] {
  if (!Array.isArray(value)) return [`${at}: must be a list`];
  const problems: string[] = [];
  if (schema.minItems !== undefined && value.length < schema.minItems) {
    problems.push(`${at}: must have at least ${schema.minItems} item(s)`);
  }
  if (schema.items) {
    const items = schema.items;
    value.forEach((item, i) => problems.push(...checkSchema(item, items, `${path}[${i}]`)));
  }
  return problems;
}

function checkObject(value: unknown, schema: Schema, path: string, at: string): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return [`${at}: must be an object`];
  }
  const record = value as Record<string, unknown>;
  const problems: string[] = [];
  for (const name of schema.required ?? []) {
    if (record[name] === undefined) problems.push(`${at}: missing required field "${name}"`);
  }
  for (const [key, child] of Object.entries(record)) {
    const childPath = path === '' ? key : `${path}.${key}`;
    const known = schema.properties?.[key];
    if (known) {
      problems.push(...checkSchema(child, known, childPath));
    } else if (schema.values === true) {
      continue;
    } else if (schema.values) {
      problems.push(...checkSchema(child, schema.values, childPath));
    } else {
      const names = Object.keys(schema.properties ?? {}).join(', ');
      problems.push(`${childPath}: unknown field "${key}" (known here: ${names})`);
    }
  }
  return problems;
}
