// Scenario 8: a rolling update of k8s/native (see rolling-update.ts).

import { defineRollingUpdateTests } from './rolling-update.js';

defineRollingUpdateTests('native');
