'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { T, Ctx, useBroker, sleep, nextEvent, waitForCount, waitGone, rejectsWith, getWithin } = require('./helpers');

const broker = useBroker();

const RESOURCE_LOCKED = (q) =>
  `RESOURCE_LOCKED - cannot obtain exclusive access to locked queue '${q}' in vhost '/'. ` +
  'It could be originally declared on another connection or the exclusive property value does not match that of the original declaration.';

test('assertQueue with an empty name gets a server-generated amq.gen- name', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const ch = await ctx.channel();
  const a = await ch.assertQueue('', { exclusive: true });
  const b = await ch.assertQueue('', { exclusive: true });
  assert.deepEqual(Object.keys(a).sort(), ['consumerCount', 'messageCount', 'queue']);
  assert.match(a.queue, /^amq\.gen-[A-Za-z0-9_-]{22}$/);
  assert.notEqual(a.queue, b.queue);
  assert.equal(a.messageCount, 0);
  assert.equal(a.consumerCount, 0);
  // the generated queue is usable through the default exchange
  ch.sendToQueue(a.queue, Buffer.from('hi'));
  const m = await getWithin(ch, a.queue, { noAck: true });
  assert.equal(m.content.toString(), 'hi');
});

test('assertQueue reply reports messageCount and consumerCount', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const ch = await ctx.channel();
  const name = ctx.queueName('counts');
  const r0 = await ch.assertQueue(name, { durable: false, autoDelete: false });
  assert.deepEqual(r0, { queue: name, messageCount: 0, consumerCount: 0 });
  for (let i = 0; i < 3; i++) ch.sendToQueue(name, Buffer.from(String(i)));
  await waitForCount(ch, name, 3);
  const r1 = await ch.assertQueue(name, { durable: false, autoDelete: false });
  assert.deepEqual(r1, { queue: name, messageCount: 3, consumerCount: 0 });

  // a consumer takes the messages (unacked): they no longer count as ready
  const ch2 = await ctx.channel();
  await ch2.prefetch(10);
  const got = [];
  await ch2.consume(name, (m) => got.push(m));
  while (got.length < 3) await sleep(5);
  const r2 = await ch.checkQueue(name);
  assert.deepEqual(r2, { queue: name, messageCount: 0, consumerCount: 1 });
  // closing the consumer's channel requeues the unacked messages
  await ch2.close();
  const r3 = await waitForCount(ch, name, 3);
  assert.deepEqual(r3, { queue: name, messageCount: 3, consumerCount: 0 });
});

test('durable / exclusive / autoDelete declarations are idempotent', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const ch = await ctx.channel();
  const combos = [
    { durable: true, exclusive: false, autoDelete: false },
    { durable: false, exclusive: false, autoDelete: false },
    { durable: false, exclusive: true, autoDelete: false },
    { durable: true, exclusive: true, autoDelete: true },
    { durable: false, exclusive: false, autoDelete: true },
  ];
  for (const opts of combos) {
    const name = ctx.queueName('combo');
    assert.deepEqual(await ch.assertQueue(name, opts), { queue: name, messageCount: 0, consumerCount: 0 });
    assert.deepEqual(await ch.assertQueue(name, opts), { queue: name, messageCount: 0, consumerCount: 0 });
    // passive declare ignores the flags
    assert.deepEqual(await ch.checkQueue(name), { queue: name, messageCount: 0, consumerCount: 0 });
  }
});

test('checkQueue on a missing queue fails with 404 NOT_FOUND', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const ch = await ctx.channel();
  const name = ctx.queueName('missing');
  const closed = nextEvent(ch, 'close');
  await rejectsWith(ch.checkQueue(name), 404, 'QueueDeclare', `NOT_FOUND - no queue '${name}' in vhost '/'`);
  await closed;
  await assert.rejects(ch.checkQueue(name), /Channel closed/);
});

test('redeclaring with a different durable flag fails with 406 PRECONDITION_FAILED', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const conn = await ctx.connect();
  const name = ctx.queueName('durable-mismatch');
  await (await ctx.channel(conn)).assertQueue(name, { durable: false });
  await rejectsWith(
    (await ctx.channel(conn)).assertQueue(name, { durable: true }),
    406,
    'QueueDeclare',
    `PRECONDITION_FAILED - inequivalent arg 'durable' for queue '${name}' in vhost '/': received 'true' but current is 'false'`,
  );
  const durableName = ctx.queueName('durable-mismatch2');
  await (await ctx.channel(conn)).assertQueue(durableName, { durable: true });
  await rejectsWith(
    (await ctx.channel(conn)).assertQueue(durableName, { durable: false }),
    406,
    'QueueDeclare',
    `PRECONDITION_FAILED - inequivalent arg 'durable' for queue '${durableName}' in vhost '/': received 'false' but current is 'true'`,
  );
});

test('redeclaring with a different auto_delete flag or x-argument fails with 406', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const conn = await ctx.connect();
  const name = ctx.queueName('ad-mismatch');
  await (await ctx.channel(conn)).assertQueue(name, { durable: false, autoDelete: true, arguments: { 'x-max-length': 2 } });
  await rejectsWith(
    (await ctx.channel(conn)).assertQueue(name, { durable: false, autoDelete: false, arguments: { 'x-max-length': 2 } }),
    406,
    'QueueDeclare',
    `PRECONDITION_FAILED - inequivalent arg 'auto_delete' for queue '${name}' in vhost '/': received 'false' but current is 'true'`,
  );
  await rejectsWith(
    (await ctx.channel(conn)).assertQueue(name, { durable: false, autoDelete: true, arguments: { 'x-max-length': 3 } }),
    406,
    'QueueDeclare',
    `PRECONDITION_FAILED - inequivalent arg 'x-max-length' for queue '${name}' in vhost '/': received '3' but current is '2'`,
  );
});

test('exclusive queues are locked to their connection (405 RESOURCE_LOCKED)', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const owner = await ctx.connect();
  const other = await ctx.connect();
  const name = ctx.queueName('locked');
  await (await ctx.channel(owner)).assertQueue(name, { exclusive: true });
  await rejectsWith(
    (await ctx.channel(other)).assertQueue(name, { exclusive: true }),
    405,
    'QueueDeclare',
    RESOURCE_LOCKED(name),
  );
  await rejectsWith((await ctx.channel(other)).checkQueue(name), 405, 'QueueDeclare', RESOURCE_LOCKED(name));
  await rejectsWith(
    (await ctx.channel(other)).consume(name, () => {}),
    405,
    'BasicConsume',
    RESOURCE_LOCKED(name),
  );
  // the owner may redeclare and use it freely from any of its channels
  const ch = await ctx.channel(owner);
  assert.deepEqual(await ch.assertQueue(name, { exclusive: true }), { queue: name, messageCount: 0, consumerCount: 0 });
  // redeclaring a non-exclusive queue as exclusive is also RESOURCE_LOCKED
  const shared = ctx.queueName('shared');
  await ch.assertQueue(shared, { durable: false });
  await rejectsWith(
    (await ctx.channel(owner)).assertQueue(shared, { durable: false, exclusive: true }),
    405,
    'QueueDeclare',
    RESOURCE_LOCKED(shared),
  );
});

test("queue names starting with 'amq.' are reserved (403 ACCESS_REFUSED)", T, async (t) => {
  const ctx = new Ctx(broker, t);
  const conn = await ctx.connect();
  const name = `amq.${ctx.queueName('reserved')}`;
  await rejectsWith(
    (await ctx.channel(conn)).assertQueue(name),
    403,
    'QueueDeclare',
    `ACCESS_REFUSED - queue name '${name}' contains reserved prefix 'amq.*'`,
  );
  // even redeclaring a server-named amq.gen- queue non-passively is refused
  const ch = await ctx.channel(conn);
  const gen = (await ch.assertQueue('', { exclusive: true })).queue;
  await rejectsWith(
    (await ctx.channel(conn)).assertQueue(gen, { exclusive: true }),
    403,
    'QueueDeclare',
    `ACCESS_REFUSED - queue name '${gen}' contains reserved prefix 'amq.*'`,
  );
  // ... but the passive form works
  assert.deepEqual(await ch.checkQueue(gen), { queue: gen, messageCount: 0, consumerCount: 0 });
});

test('purgeQueue returns the number of ready messages removed', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const ch = await ctx.channel();
  const name = ctx.queueName('purge');
  await ch.assertQueue(name, { durable: false });
  assert.deepEqual(await ch.purgeQueue(name), { messageCount: 0 });
  for (let i = 0; i < 5; i++) ch.sendToQueue(name, Buffer.from(`m${i}`));
  await waitForCount(ch, name, 5);
  // one message is delivered but unacked: purge leaves it alone
  const held = await ch.get(name);
  assert.equal(held.content.toString(), 'm0');
  assert.deepEqual(await ch.purgeQueue(name), { messageCount: 4 });
  assert.equal((await ch.checkQueue(name)).messageCount, 0);
  ch.nack(held, false, true);
  const back = await getWithin(ch, name, { noAck: true });
  assert.equal(back.content.toString(), 'm0');
  assert.equal(back.fields.redelivered, true);
  const missing = ctx.queueName('purge-missing');
  await rejectsWith(
    (await ctx.channel()).purgeQueue(missing),
    404,
    'QueuePurge',
    `NOT_FOUND - no queue '${missing}' in vhost '/'`,
  );
});

test('deleteQueue returns the message count; deleting a missing queue is ok', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const ch = await ctx.channel();
  const name = ctx.queueName('delete');
  await ch.assertQueue(name, { durable: false });
  for (let i = 0; i < 7; i++) ch.sendToQueue(name, Buffer.from('x'));
  await waitForCount(ch, name, 7);
  assert.deepEqual(await ch.deleteQueue(name), { messageCount: 7 });
  assert.deepEqual(await ch.deleteQueue(name), { messageCount: 0 });
  await rejectsWith(ch.checkQueue(name), 404, 'QueueDeclare', `NOT_FOUND - no queue '${name}' in vhost '/'`);
});

test('deleteQueue ifUnused / ifEmpty fail with 406 PRECONDITION_FAILED', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const conn = await ctx.connect();
  const ch = await ctx.channel(conn);
  const name = ctx.queueName('delete-if');
  await ch.assertQueue(name, { durable: false });
  ch.sendToQueue(name, Buffer.from('x'));
  await waitForCount(ch, name, 1);
  const consumer = await ctx.channel(conn);
  await consumer.prefetch(1);
  const { consumerTag } = await consumer.consume(name, () => {});

  await rejectsWith(
    (await ctx.channel(conn)).deleteQueue(name, { ifUnused: true }),
    406,
    'QueueDelete',
    `PRECONDITION_FAILED - queue '${name}' in vhost '/' in use`,
  );
  await consumer.cancel(consumerTag);
  await consumer.close(); // requeues the message
  await waitForCount(ch, name, 1);
  await rejectsWith(
    (await ctx.channel(conn)).deleteQueue(name, { ifEmpty: true }),
    406,
    'QueueDelete',
    `PRECONDITION_FAILED - queue '${name}' in vhost '/' not empty`,
  );
  const ch2 = await ctx.channel(conn);
  // unused now: ifUnused succeeds
  assert.deepEqual(await ch2.deleteQueue(name, { ifUnused: true }), { messageCount: 1 });
  // an empty queue passes ifEmpty
  const empty = ctx.queueName('delete-if-empty');
  await ch2.assertQueue(empty, { durable: false });
  assert.deepEqual(await ch2.deleteQueue(empty, { ifEmpty: true, ifUnused: true }), { messageCount: 0 });
});

test('autoDelete queue is removed when its last consumer is cancelled', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const conn = await ctx.connect();
  const ch = await ctx.channel(conn);
  const name = ctx.queueName('autodel');
  await ch.assertQueue(name, { durable: false, autoDelete: true });
  // never consumed: it stays
  await sleep(50);
  await ch.checkQueue(name);
  const c1 = await ch.consume(name, () => {});
  const c2 = await ch.consume(name, () => {});
  assert.equal((await ch.checkQueue(name)).consumerCount, 2);
  await ch.cancel(c1.consumerTag);
  assert.equal((await ch.checkQueue(name)).consumerCount, 1);
  await ch.cancel(c2.consumerTag);
  const e = await waitGone(ctx, 'queue', name);
  assert.equal(e.message, `Operation failed: QueueDeclare; 404 (NOT-FOUND) with message "NOT_FOUND - no queue '${name}' in vhost '/'"`);
});

test('basic.get on a missing queue fails with 404', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const ch = await ctx.channel();
  const name = ctx.queueName('get-missing');
  await rejectsWith(ch.get(name), 404, 'BasicGet', `NOT_FOUND - no queue '${name}' in vhost '/'`);
});
