// npm run bench:sidecar: both sidecar benchmarks in one run, printed as tables.

import { measureExitLatency } from './sidecar-exit-latency.js';
import { measureFootprint } from './sidecar-footprint.js';

console.log(`drainwatch-sidecar benchmarks, node ${process.version}`);
await measureExitLatency();
await measureFootprint();
