// The subset of the Kubernetes object model that podsim reads. Field names follow the API so a
// manifest maps onto these types without renaming; anything not listed here is ignored.

export type IntOrString = number | string;

export interface HttpHeader {
  name: string;
  value: string;
}

export interface HttpGetAction {
  path?: string;
  port: IntOrString;
  host?: string;
  scheme?: string;
  httpHeaders?: HttpHeader[];
}

export interface ExecAction {
  command?: string[];
}

export interface LifecycleHandler {
  exec?: ExecAction;
  httpGet?: HttpGetAction;
  sleep?: { seconds: number };
  tcpSocket?: { port: IntOrString; host?: string };
}

export interface Probe extends LifecycleHandler {
  grpc?: { port: number };
  initialDelaySeconds?: number;
  periodSeconds?: number;
  timeoutSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
  terminationGracePeriodSeconds?: number;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string }; [other: string]: unknown };
}

export interface VolumeMount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
}

export interface ContainerSpec {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  workingDir?: string;
  env?: EnvVar[];
  ports?: Array<{ name?: string; containerPort: number }>;
  volumeMounts?: VolumeMount[];
  lifecycle?: { preStop?: LifecycleHandler; postStart?: LifecycleHandler; stopSignal?: string };
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  /** Only on initContainers: "Always" makes it a native sidecar. */
  restartPolicy?: string;
}

export interface VolumeSpec {
  name: string;
  emptyDir?: Record<string, unknown>;
  [other: string]: unknown;
}

export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';

export interface PodSpec {
  containers: ContainerSpec[];
  initContainers?: ContainerSpec[];
  volumes?: VolumeSpec[];
  restartPolicy?: RestartPolicy;
  terminationGracePeriodSeconds?: number;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface PodTemplate {
  metadata?: ObjectMeta;
  spec: PodSpec;
}

export interface PodManifest {
  kind: 'Pod';
  metadata: ObjectMeta;
  spec: PodSpec;
}

export interface DeploymentManifest {
  kind: 'Deployment';
  metadata: ObjectMeta;
  spec: {
    replicas?: number;
    strategy?: {
      type?: 'RollingUpdate' | 'Recreate';
      rollingUpdate?: { maxSurge?: IntOrString; maxUnavailable?: IntOrString };
    };
    template: PodTemplate;
  };
}

export interface JobManifest {
  kind: 'Job';
  metadata: ObjectMeta;
  spec: {
    completions?: number;
    parallelism?: number;
    backoffLimit?: number;
    template: PodTemplate;
  };
}

export type Workload = PodManifest | DeploymentManifest | JobManifest;
