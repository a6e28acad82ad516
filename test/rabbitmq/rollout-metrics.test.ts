// The rollout benchmark's figures from hand-made records: which pods count as idle or busy,
// what counts as interrupted, processed twice or lost, and the percentiles.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { distribution, runMetrics } from '../../bench/rollout-metrics.js';
import type { RunRecord, TaskLine } from '../../bench/rollout-run.js';

function task(t: number, pod: string, event: TaskLine['event'], messageId: string): TaskLine {
  return { t, pod, event, messageId, redelivered: false };
}

function record(parts: Partial<RunRecord>): RunRecord {
  return {
    configuration: 'c', repeat: 1, queue: 'q', rolloutStartedAt: 1_000,
    rolloutCompletedAt: 3_000, oldPodsGoneAt: 9_000, oldPods: [], tasks: [], published: [],
    leftInQueue: 0, problems: [], logsDir: '/nowhere', ...parts,
  };
}

test('counts a pod idle at deletion by its deletion-to-exit time', () => {
  const metrics = runMetrics(record({
    oldPods: [{ name: 'p1', deletedAt: 2_000, exitedAt: 2_150 }],
    tasks: [task(500, 'p1', 'task.started', 'm1'), task(900, 'p1', 'task.finished', 'm1')],
    published: ['m1'],
  }));
  assert.deepEqual(metrics.idleSamplesMs, [150]);
  assert.deepEqual(metrics.busySamplesMs, []);
  assert.equal(metrics.interrupted, 0);
  assert.equal(metrics.lost, 0);
});

test('counts a pod busy at deletion from the end of its last task to its exit', () => {
  const metrics = runMetrics(record({
    oldPods: [{ name: 'p1', deletedAt: 2_000, exitedAt: 5_080 }],
    tasks: [task(1_500, 'p1', 'task.started', 'm1'), task(5_000, 'p1', 'task.finished', 'm1')],
    published: ['m1'],
  }));
  assert.deepEqual(metrics.busySamplesMs, [80]);
  assert.deepEqual(metrics.idleSamplesMs, []);
  assert.equal(metrics.busyCutShort, 0);
});

test('counts a task cut short, the redelivery, and a message finished twice', () => {
  const metrics = runMetrics(record({
    oldPods: [{ name: 'p1', deletedAt: 2_000, exitedAt: 2_010 }],
    tasks: [
      task(1_500, 'p1', 'task.started', 'm1'),
      task(2_100, 'p2', 'task.started', 'm1'),
      task(2_900, 'p2', 'task.finished', 'm1'),
      task(3_000, 'p2', 'task.started', 'm2'),
      task(3_500, 'p2', 'task.finished', 'm2'),
      task(3_600, 'p3', 'task.started', 'm2'),
      task(3_900, 'p3', 'task.finished', 'm2'),
    ],
    published: ['m1', 'm2'],
  }));
  assert.equal(metrics.interrupted, 1);
  assert.equal(metrics.busyCutShort, 1);
  assert.equal(metrics.startedAfterDeletion, 0);
  assert.equal(metrics.processedTwice, 1);
  assert.equal(metrics.lost, 0);
});

test('counts the tasks an old pod started after its deletion', () => {
  const metrics = runMetrics(record({
    oldPods: [{ name: 'p1', deletedAt: 2_000, exitedAt: 4_100 }],
    tasks: [task(2_010, 'p1', 'task.started', 'm1'), task(4_000, 'p1', 'task.finished', 'm1')],
    published: ['m1'],
  }));
  assert.equal(metrics.startedAfterDeletion, 1);
  assert.deepEqual(metrics.idleSamplesMs, [2_100]);
});

test('counts a message never acknowledged as lost unless it is still in the queue', () => {
  const published = ['m1', 'm2', 'm3'];
  const tasks = [task(100, 'p1', 'task.started', 'm1'), task(200, 'p1', 'task.finished', 'm1')];
  assert.equal(runMetrics(record({ published, tasks })).lost, 2);
  assert.equal(runMetrics(record({ published, tasks, leftInQueue: 2 })).lost, 0);
});

test('measures the rollout from its start to the last old pod and sums Terminating time', () => {
  const metrics = runMetrics(record({
    oldPods: [
      { name: 'p1', deletedAt: 2_000, exitedAt: 2_500 },
      { name: 'p2', deletedAt: 4_000, exitedAt: 9_000 },
    ],
  }));
  assert.equal(metrics.rolloutWallMs, 8_000);
  assert.equal(metrics.rolloutCompleteMs, 2_000);
  assert.equal(metrics.terminatingPodSeconds, 5.5);
});

test('computes nearest-rank percentiles and reports none for no samples', () => {
  assert.deepEqual(distribution([]), { n: 0, p50Ms: null, p95Ms: null, maxMs: null });
  const samples = Array.from({ length: 20 }, (_, i) => (i + 1) * 10);
  assert.deepEqual(distribution(samples), { n: 20, p50Ms: 100, p95Ms: 190, maxMs: 200 });
  assert.deepEqual(distribution([7]), { n: 1, p50Ms: 7, p95Ms: 7, maxMs: 7 });
});
