// The demo publisher against a real RabbitMQ: confirmed, persistent, uniquely named messages,
// and the same task lengths for the same seed.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { connect } from 'amqplib';

import { startNode } from '../helpers.js';
import { AMQP_URL, needBroker, PUBLISHER_BIN, uniqueQueue } from './broker.js';

interface Published {
  messageId: string;
  durationMs: number | null;
}

async function publish(t: Parameters<typeof startNode>[0], queue: string, args: string[]) {
  const publisher =
    startNode(t, PUBLISHER_BIN, ['--queue', queue, ...args], { env: { AMQP_URL } });
  assert.deepEqual(await publisher.waitForExit(), { code: 0, signal: null }, publisher.output());
  const published = publisher.lines.filter((l) => l.event === 'message.published')
    .map((l) => ({ messageId: String(l.messageId), durationMs: l.durationMs as number | null }));
  return { publisher, published };
}

test('publishes a fixed count of confirmed persistent messages with unique ids', async (t) => {
  if (!(await needBroker(t))) return;
  const queue = uniqueQueue(t, 'publish');
  const { publisher, published } =
    await publish(t, queue, ['--count', '6', '--rate', '200', '--id-prefix', 'run1']);

  assert.equal(published.length, 6, publisher.output());
  assert.equal(new Set(published.map((p) => p.messageId)).size, 6);
  const finished = await publisher.waitForEvent('publisher.finished');
  assert.deepEqual([finished.published, finished.confirmed], [6, 6]);

  const model = await connect(AMQP_URL);
  t.after(() => model.close());
  const channel = await model.createChannel();
  const seen: string[] = [];
  for (let i = 0; i < 6; i++) {
    const message = await channel.get(queue, { noAck: true });
    assert.ok(message, `message ${i + 1} of 6 is missing from the queue`);
    assert.equal(message.properties.deliveryMode, 2, 'messages are persistent');
    seen.push(String(message.properties.messageId));
  }
  assert.deepEqual(seen.sort(), published.map((p) => p.messageId).sort());
});

test('asks for the same task lengths when run twice with the same seed', async (t) => {
  if (!(await needBroker(t))) return;
  const args = ['--count', '5', '--rate', '500', '--task-min', '10ms', '--task-max', '900ms',
    '--seed', '42'];
  const first = await publish(t, uniqueQueue(t, 'seed-a'), args);
  const second = await publish(t, uniqueQueue(t, 'seed-b'), args);

  const lengths = (p: Published[]) => p.map((m) => m.durationMs);
  assert.deepEqual(lengths(first.published), lengths(second.published));
  assert.ok(first.published.every((m) => m.durationMs !== null && m.durationMs >= 10 &&
    m.durationMs <= 900), first.publisher.output());
});

test('rejects a rate of zero with exit code 2 and names the flag', async (t) => {
  const publisher = startNode(t, PUBLISHER_BIN, ['--rate', '0']);
  assert.deepEqual(await publisher.waitForExit(), { code: 2, signal: null });
  assert.match(publisher.output(), /--rate is "0"/);
});
