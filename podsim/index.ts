// The programmatic API of podsim, for the scenario tests, the demo and the benchmark.

export { Simulation, DEFAULT_WAIT_MS, type SimulationOptions } from './simulation.js';
export type { PodsimEvent, ContainerLogLine } from './events.js';
export type { DeleteOptions, Pod, PodPhase } from './pod.js';
export type { Container } from './container.js';
export { PodsimError, type PodsimErrorCode } from './errors.js';
export { parseImageFlag, splitCommandLine, type ImageCommand } from './images.js';
export { formatEvent } from './timeline.js';
export type { PodTemplate, Workload } from './types.js';
