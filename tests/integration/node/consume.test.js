'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const {
  T,
  Ctx,
  useBroker,
  sleep,
  consumeN,
  waitForCount,
  rejectsWith,
  nextChannelError,
  nextEvent,
  withTimeout,
  channelClosedText,
} = require('./helpers');

const broker = useBroker();

async function filledQueue(ch, n, prefix = 'm') {
  const q = (await ch.assertQueue('', { exclusive: true })).queue;
  for (let i = 0; i < n; i++) ch.sendToQueue(q, Buffer.from(`${prefix}${i}`));
  await waitForCount(ch, q, n);
  return q;
}

const bodies = (msgs) => msgs.map((m) => m.content.toString());

// Collects deliveries into an array; returns helpers to wait for counts.
async function collector(ch, q, options = {}) {
  const msgs = [];
  let cancelled = false;
  const { consumerTag } = await ch.consume(
    q,
    (m) => {
      if (m === null) cancelled = true;
      else msgs.push(m);
    },
    options,
  );
  return {
    msgs,
    consumerTag,
    get cancelled() {
      return cancelled;
    },
    async waitFor(n, ms = 5000) {
      const deadline = Date.now() + ms;
      while (msgs.length < n) {
        if (Date.now() > deadline) assert.fail(`expected ${n} deliveries, got ${msgs.length}`);
        await sleep(5);
      }
    },
  };
}

test('consume returns a server-generated tag; custom tags are echoed; cancel', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const ch = await ctx.channel();
  const q = await filledQueue(ch, 0);
  const a = await ch.consume(q, () => {});
  assert.deepEqual(Object.keys(a), ['consumerTag']);
  assert.match(a.consumerTag, /^amq\.ctag-[A-Za-z0-9_-]{22}$/);
  const b = await ch.consume(q, () => {}, { consumerTag: 'my-tag' });
  assert.deepEqual(b, { consumerTag: 'my-tag' });
  assert.equal((await ch.checkQueue(q)).consumerCount, 2);
  assert.deepEqual(await ch.cancel(a.consumerTag), { consumerTag: a.consumerTag });
  assert.deepEqual(await ch.cancel('my-tag'), { consumerTag: 'my-tag' });
  assert.equal((await ch.checkQueue(q)).consumerCount, 0);
  // cancelling an unknown tag is not an error
  assert.deepEqual(await ch.cancel('never-existed'), { consumerTag: 'never-existed' });
  // after cancel, messages stay in the queue
  ch.sendToQueue(q, Buffer.from('kept'));
  await waitForCount(ch, q, 1);
});

test('consume on a missing queue fails with 404', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const ch = await ctx.channel();
  const name = ctx.queueName('consume-missing');
  await rejectsWith(ch.consume(name, () => {}), 404, 'BasicConsume', `NOT_FOUND - no queue '${name}' in vhost '/'`);
});

test('deliveries arrive in order with delivery tags 1..n shared by get and consume', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const ch = await ctx.channel();
  const q = await filledQueue(ch, 6);
  const g1 = await ch.get(q);
  const g2 = await ch.get(q);
  assert.deepEqual([g1.fields.deliveryTag, g2.fields.deliveryTag], [1, 2]);
  assert.deepEqual([g1.fields.messageCount, g2.fields.messageCount], [5, 4]);
  const { msgs, consumerTag } = await consumeN(ch, q, 4);
  assert.deepEqual(bodies(msgs), ['m2', 'm3', 'm4', 'm5']);
  assert.deepEqual(
    msgs.map((m) => m.fields.deliveryTag),
    [3, 4, 5, 6],
  );
  for (const m of msgs) {
    assert.equal(m.fields.consumerTag, consumerTag);
    assert.equal(m.fields.redelivered, false);
    assert.equal(m.fields.exchange, '');
    assert.equal(m.fields.routingKey, q);
  }
  ch.ackAll();
  await sleep(50);
  assert.equal((await ch.checkQueue(q)).messageCount, 0);
});

test('get: false when empty; noAck removes, ack required otherwise', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const ch = await ctx.channel();
  const q = await filledQueue(ch, 0);
  assert.equal(await ch.get(q), false);
  assert.equal(await ch.get(q, { noAck: true }), false);
  ch.sendToQueue(q, Buffer.from('a'));
  ch.sendToQueue(q, Buffer.from('b'));
  await waitForCount(ch, q, 2);
  const a = await ch.get(q, { noAck: true });
  assert.equal(a.content.toString(), 'a');
  const b = await ch.get(q);
  assert.equal(b.content.toString(), 'b');
  assert.equal(b.fields.messageCount, 0);
  assert.equal(await ch.get(q), false, 'unacked message is not handed out again');
  ch.ack(b);
  await sleep(50);
  assert.equal(await ch.get(q), false);
});

test('round-robin between consumers on one queue', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const ch = await ctx.channel();
  const q = await filledQueue(ch, 0);
  const c1 = await collector(ch, q, { noAck: true });
  const c2 = await collector(ch, q, { noAck: true });
  for (let i = 0; i < 10; i++) ch.sendToQueue(q, Buffer.from(`m${i}`));
  await c1.waitFor(5);
  await c2.waitFor(5);
  await sleep(50);
  assert.deepEqual(bodies(c1.msgs), ['m0', 'm2', 'm4', 'm6', 'm8']);
  assert.deepEqual(bodies(c2.msgs), ['m1', 'm3', 'm5', 'm7', 'm9']);
});

test('ack single and ack allUpTo', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const conn = await ctx.connect();
  const ch = await ctx.channel(conn);
  const q = await filledQueue(ch, 5);
  const { msgs } = await consumeN(ch, q, 5);
  ch.ack(msgs[1]); // m1 only
  ch.ack(msgs[3], true); // m0, m2, m3
  // close the channel: only m4 is unacked and comes back, redelivered
  await ch.close();
  const ch2 = await ctx.channel(conn);
  await waitForCount(ch2, q, 1);
  const m = await ch2.get(q, { noAck: true });
  assert.equal(m.content.toString(), 'm4');
  assert.equal(m.fields.redelivered, true);
});

test('nack with requeue puts messages back in their original position, redelivered', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const ch = await ctx.channel();
  const q = await filledQueue(ch, 5);
  const { msgs } = await consumeN(ch, q, 5);
  ch.nack(msgs[3], false, true);
  ch.nack(msgs[1], false, true);
  ch.sendToQueue(q, Buffer.from('m5'));
  await waitForCount(ch, q, 3);
  const out = [];
  for (let i = 0; i < 3; i++) out.push(await ch.get(q, { noAck: true }));
  assert.deepEqual(bodies(out), ['m1', 'm3', 'm5']);
  assert.deepEqual(
    out.map((m) => m.fields.redelivered),
    [true, true, false],
  );
  ch.ackAll();
});

test('nack allUpTo without requeue drops; nackAll with requeue returns everything', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const ch = await ctx.channel();
  const q = await filledQueue(ch, 6);
  const { msgs } = await consumeN(ch, q, 6);
  ch.nack(msgs[2], true, false); // drops m0..m2
  ch.nackAll(true); // m3..m5 back to the queue
  await waitForCount(ch, q, 3);
  const { msgs: again } = await consumeN(ch, q, 3, { noAck: true });
  assert.deepEqual(bodies(again), ['m3', 'm4', 'm5']);
  assert.ok(again.every((m) => m.fields.redelivered));
  await sleep(50);
  assert.equal((await ch.checkQueue(q)).messageCount, 0);
});

test('reject with and without requeue', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const ch = await ctx.channel();
  const q = await filledQueue(ch, 2);
  const a = await ch.get(q);
  const b = await ch.get(q);
  ch.reject(a, false); // dropped
  ch.reject(b, true); // requeued
  await waitForCount(ch, q, 1);
  const m = await ch.get(q);
  assert.equal(m.content.toString(), 'm1');
  assert.equal(m.fields.redelivered, true);
  assert.equal(m.fields.deliveryTag, 3);
  ch.ack(m);
});

test('acking an unknown or already-acked delivery tag closes the channel with 406', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const conn = await ctx.connect();
  let ch = await ctx.channel(conn);
  const q = await filledQueue(ch, 3);
  const m = await ch.get(q);
  ch.ack(m);
  let err = nextChannelError(ch);
  ch.ack(m);
  assert.equal((await err).message, channelClosedText(406, 'PRECONDITION_FAILED - unknown delivery tag 1'));

  ch = await ctx.channel(conn);
  err = nextChannelError(ch);
  ch.nack({ fields: { deliveryTag: 42 } }, false, true);
  assert.equal((await err).message, channelClosedText(406, 'PRECONDITION_FAILED - unknown delivery tag 42'));

  ch = await ctx.channel(conn);
  err = nextChannelError(ch);
  ch.reject({ fields: { deliveryTag: 7 } }, false);
  assert.equal((await err).message, channelClosedText(406, 'PRECONDITION_FAILED - unknown delivery tag 7'));

  // acking a noAck delivery is also unknown
  ch = await ctx.channel(conn);
  const n = await ch.get(q, { noAck: true });
  err = nextChannelError(ch);
  ch.ack(n);
  assert.equal((await err).message, channelClosedText(406, 'PRECONDITION_FAILED - unknown delivery tag 1'));
});

test('unacked messages are requeued (redelivered) when the channel closes', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const conn = await ctx.connect();
  const ch = await ctx.channel(conn);
  const q = await filledQueue(ch, 3);
  const { msgs } = await consumeN(ch, q, 3);
  ch.ack(msgs[1]);
  await ch.close();
  const ch2 = await ctx.channel(conn);
  await waitForCount(ch2, q, 2);
  const { msgs: again } = await consumeN(ch2, q, 2, { noAck: true });
  assert.deepEqual(bodies(again), ['m0', 'm2']);
  assert.ok(again.every((m) => m.fields.redelivered));
});

test('prefetch limits unacked deliveries per consumer', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const ch = await ctx.channel();
  const q = await filledQueue(ch, 10);
  assert.deepEqual(await ch.prefetch(3), {});
  const c = await collector(ch, q);
  await c.waitFor(3);
  await sleep(150);
  assert.equal(c.msgs.length, 3, 'no more than prefetch');
  assert.equal((await ch.checkQueue(q)).messageCount, 7);
  ch.ack(c.msgs[0]);
  await c.waitFor(4);
  await sleep(100);
  assert.equal(c.msgs.length, 4);
  ch.ack(c.msgs[3], true); // acks 2..4, freeing three slots
  await c.waitFor(7);
  await sleep(100);
  assert.equal(c.msgs.length, 7);
  assert.deepEqual(bodies(c.msgs), ['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6']);
  ch.ackAll();
  await c.waitFor(10);
  ch.ackAll();
});

test('prefetch (global=false) applies to each consumer; global=true to the channel', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const conn = await ctx.connect();
  const ch = await ctx.channel(conn);
  const q1 = await filledQueue(ch, 5, 'a');
  const q2 = await filledQueue(ch, 5, 'b');
  await ch.prefetch(1);
  const c1 = await collector(ch, q1);
  const c2 = await collector(ch, q2);
  await c1.waitFor(1);
  await c2.waitFor(1);
  await sleep(150);
  assert.deepEqual([c1.msgs.length, c2.msgs.length], [1, 1], 'one unacked delivery per consumer');
  await ch.close();

  const g = await ctx.channel(conn);
  await waitForCount(g, q1, 5);
  await waitForCount(g, q2, 5);
  await g.prefetch(2, true); // channel-wide limit of 2 shared by both consumers
  const d1 = await collector(g, q1);
  const d2 = await collector(g, q2);
  const deadline = Date.now() + 5000;
  while (d1.msgs.length + d2.msgs.length < 2 && Date.now() < deadline) await sleep(5);
  await sleep(150);
  assert.equal(d1.msgs.length + d2.msgs.length, 2, 'global prefetch caps the channel');
});

test('prefetch does not limit noAck consumers', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const ch = await ctx.channel();
  const q = await filledQueue(ch, 20);
  await ch.prefetch(1);
  const { msgs } = await consumeN(ch, q, 20, { noAck: true });
  assert.equal(msgs.length, 20);
});

test('recover redelivers unacked messages with redelivered=true', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const ch = await ctx.channel();
  const q = await filledQueue(ch, 3);
  const c = await collector(ch, q);
  await c.waitFor(3);
  ch.ack(c.msgs[0]);
  assert.deepEqual(await ch.recover(), {});
  await c.waitFor(5);
  await sleep(100);
  assert.equal(c.msgs.length, 5);
  const redelivered = c.msgs.slice(3);
  assert.deepEqual(bodies(redelivered), ['m1', 'm2']);
  assert.ok(redelivered.every((m) => m.fields.redelivered));
  assert.ok(redelivered.every((m) => m.fields.deliveryTag > 3), 'fresh delivery tags');
  ch.ack(redelivered[1], true);
  await sleep(50);
  assert.equal((await ch.checkQueue(q)).messageCount, 0);
});

test('server cancels the consumer when its queue is deleted (callback gets null)', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const conn = await ctx.connect();
  const ch = await ctx.channel(conn);
  const q = ctx.queueName('cancel-on-delete');
  await ch.assertQueue(q, { durable: false });
  const seen = [];
  let resolveNull;
  const gotNull = new Promise((r) => {
    resolveNull = r;
  });
  await ch.consume(q, (m) => {
    seen.push(m);
    if (m === null) resolveNull();
  });
  ch.sendToQueue(q, Buffer.from('before'));
  while (seen.length < 1) await sleep(5);
  // delete from another connection
  const other = await ctx.channel(await ctx.connect());
  assert.deepEqual(await other.deleteQueue(q), { messageCount: 0 });
  await withTimeout(gotNull, 5000, 'server-initiated basic.cancel');
  assert.equal(seen.length, 2);
  assert.equal(seen[0].content.toString(), 'before');
  assert.equal(seen[1], null);
  // the channel stays open and usable
  const r = await ch.assertQueue('', { exclusive: true });
  assert.match(r.queue, /^amq\.gen-/);
});

test('exclusive consumers (403 ACCESS_REFUSED)', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const conn = await ctx.connect();
  const ch = await ctx.channel(conn);
  const q = ctx.queueName('excl-consumer');
  await ch.assertQueue(q, { durable: false });
  const text = `ACCESS_REFUSED - queue '${q}' in vhost '/' in exclusive use`;
  await ch.consume(q, () => {}, { exclusive: true });
  await rejectsWith((await ctx.channel(conn)).consume(q, () => {}), 403, 'BasicConsume', text);
  const q2 = ctx.queueName('excl-consumer2');
  await ch.assertQueue(q2, { durable: false });
  await ch.consume(q2, () => {});
  await rejectsWith((await ctx.channel(conn)).consume(q2, () => {}, { exclusive: true }), 403, 'BasicConsume', text.replace(q, q2));
});

test('messages published while a consumer waits are pushed immediately', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const ch = await ctx.channel();
  const pubCh = await ctx.channel();
  const q = await filledQueue(ch, 0);
  const c = await collector(ch, q, { noAck: true });
  for (let i = 0; i < 5; i++) {
    pubCh.sendToQueue(q, Buffer.from(`p${i}`));
    await c.waitFor(i + 1, 2000);
  }
  assert.deepEqual(bodies(c.msgs), ['p0', 'p1', 'p2', 'p3', 'p4']);
  assert.equal(c.cancelled, false);
  const closed = nextEvent(ch, 'close');
  await ch.close();
  await closed;
});
