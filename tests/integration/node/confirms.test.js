'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const {
  T,
  Ctx,
  useBroker,
  sleep,
  nextChannelError,
  nextEvent,
  withTimeout,
  waitForCount,
  channelClosedText,
} = require('./helpers');

const broker = useBroker();

function publishConfirmed(ch, exchange, rk, body, options = {}) {
  return new Promise((resolve, reject) => {
    ch.publish(exchange, rk, Buffer.from(body), options, (err, ok) => (err ? reject(err) : resolve(ok)));
  });
}

test('ConfirmChannel: every publish is acked; waitForConfirms resolves', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const conn = await ctx.connect();
  const ch = await ctx.channel(conn, true);
  const q = (await ch.assertQueue('', { exclusive: true })).queue;
  const acks = [];
  for (let i = 0; i < 100; i++) {
    ch.sendToQueue(q, Buffer.from(`c${i}`), {}, (err) => acks.push(err));
  }
  await withTimeout(ch.waitForConfirms(), 10000, 'waitForConfirms');
  assert.equal(acks.length, 100);
  assert.ok(acks.every((e) => e === null || e === undefined), 'all acked');
  await waitForCount(ch, q, 100);
  // publish sequence numbers start at 1 and increase by one
  const seen = [];
  const tagListener = (f) => seen.push(f);
  ch.on('ack', tagListener);
  await publishConfirmed(ch, '', q, 'next');
  ch.removeListener('ack', tagListener);
  assert.equal(seen.length, 1);
  assert.equal(seen[0].deliveryTag, 101);
});

test('ConfirmChannel: persistent message to a durable queue is confirmed', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const ch = await ctx.channel(undefined, true);
  const q = ctx.queueName('confirm-durable');
  await ch.assertQueue(q, { durable: true });
  await publishConfirmed(ch, '', q, 'durable', { persistent: true });
  await waitForCount(ch, q, 1);
  const m = await ch.get(q, { noAck: true });
  assert.equal(m.content.toString(), 'durable');
  assert.equal(m.properties.deliveryMode, 2);
});

test('ConfirmChannel: unroutable messages are still acked', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const ch = await ctx.channel(undefined, true);
  const x = ctx.exchangeName('confirm-noroute');
  await ch.assertExchange(x, 'direct', { durable: false });
  await publishConfirmed(ch, x, 'nobody-bound', 'dropped');
  await publishConfirmed(ch, '', `${x}-no-such-queue`, 'dropped too');
  await ch.waitForConfirms();
});

test('ConfirmChannel: publish to a missing exchange closes the channel with 404', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const conn = await ctx.connect();
  const ch = await ctx.channel(conn, true);
  const x = ctx.exchangeName('confirm-missing');
  const err = nextChannelError(ch);
  const closed = nextEvent(ch, 'close');
  let cbErr;
  ch.publish(x, 'rk', Buffer.from('z'), {}, (e) => {
    cbErr = e;
  });
  const e = await err;
  assert.equal(e.message, channelClosedText(404, `NOT_FOUND - no exchange '${x}' in vhost '/'`));
  assert.equal(e.code, 404);
  await closed;
  await assert.rejects(ch.waitForConfirms(), /channel closed/);
  assert.ok(cbErr instanceof Error, 'the pending confirm callback gets an error');
  assert.equal(cbErr.message, 'channel closed');
  // the connection is fine
  const ch2 = await ctx.channel(conn, true);
  await ch2.assertQueue('', { exclusive: true });
});

test('plain channel: publish to a missing exchange closes the channel with 404', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const ch = await ctx.channel();
  const x = ctx.exchangeName('plain-missing');
  const err = nextChannelError(ch);
  ch.publish(x, 'rk', Buffer.from('z'));
  assert.equal((await err).message, channelClosedText(404, `NOT_FOUND - no exchange '${x}' in vhost '/'`));
});

test("mandatory unroutable message comes back via the 'return' event", T, async (t) => {
  const ctx = new Ctx(broker, t);
  const ch = await ctx.channel();
  const x = ctx.exchangeName('mandatory');
  await ch.assertExchange(x, 'direct', { durable: false });
  const returned = nextEvent(ch, 'return');
  const props = { messageId: 'ret-1', headers: { a: 1, s: 'x' }, contentType: 'text/plain', correlationId: 'c-1' };
  ch.publish(x, 'no-binding', Buffer.from('come back'), { ...props, mandatory: true });
  const [m] = await returned;
  assert.deepEqual(m.fields, { replyCode: 312, replyText: 'NO_ROUTE', exchange: x, routingKey: 'no-binding' });
  assert.equal(m.content.toString(), 'come back');
  assert.equal(m.properties.messageId, 'ret-1');
  assert.equal(m.properties.contentType, 'text/plain');
  assert.equal(m.properties.correlationId, 'c-1');
  assert.deepEqual(m.properties.headers, { a: 1, s: 'x' });

  // default exchange, no such queue
  const returned2 = nextEvent(ch, 'return');
  ch.sendToQueue(`${x}-no-queue`, Buffer.from('also back'), { mandatory: true });
  const [m2] = await returned2;
  assert.deepEqual(m2.fields, { replyCode: 312, replyText: 'NO_ROUTE', exchange: '', routingKey: `${x}-no-queue` });
});

test('mandatory routable message is not returned; non-mandatory unroutable is dropped silently', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const ch = await ctx.channel();
  const q = (await ch.assertQueue('', { exclusive: true })).queue;
  const returns = [];
  ch.on('return', (m) => returns.push(m));
  ch.sendToQueue(q, Buffer.from('routable'), { mandatory: true });
  ch.sendToQueue(`${q}-nope`, Buffer.from('dropped'));
  await waitForCount(ch, q, 1);
  await sleep(100);
  assert.equal(returns.length, 0);
});

test('ConfirmChannel + mandatory: basic.return arrives before the ack', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const ch = await ctx.channel(undefined, true);
  const events = [];
  ch.on('return', (m) => events.push(`return:${m.content.toString()}`));
  const x = ctx.exchangeName('confirm-mandatory');
  await ch.assertExchange(x, 'fanout', { durable: false });
  const q = (await ch.assertQueue('', { exclusive: true })).queue;
  await publishConfirmed(ch, x, '', 'unroutable', { mandatory: true }).then(() => events.push('ack:unroutable'));
  await ch.bindQueue(q, x, '');
  await publishConfirmed(ch, x, '', 'routable', { mandatory: true }).then(() => events.push('ack:routable'));
  assert.deepEqual(events, ['return:unroutable', 'ack:unroutable', 'ack:routable']);
});

test('waitForConfirms with many outstanding publishes across queues', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const ch = await ctx.channel(undefined, true);
  const x = ctx.exchangeName('confirm-fanout');
  await ch.assertExchange(x, 'fanout', { durable: false });
  const qs = [];
  for (let i = 0; i < 3; i++) {
    const q = (await ch.assertQueue('', { exclusive: true })).queue;
    await ch.bindQueue(q, x, '');
    qs.push(q);
  }
  let nacks = 0;
  for (let i = 0; i < 500; i++) {
    ch.publish(x, '', Buffer.from(String(i)), {}, (err) => {
      if (err) nacks++;
    });
  }
  await withTimeout(ch.waitForConfirms(), 15000, 'waitForConfirms');
  assert.equal(nacks, 0);
  for (const q of qs) await waitForCount(ch, q, 500);
});
