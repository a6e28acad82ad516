// Scenarios 1 and 2: a rolling update of k8s/classic (see rolling-update.ts).

import { defineRollingUpdateTests } from './rolling-update.js';

defineRollingUpdateTests('classic');
