'use strict';
// The same broker through amqplib's callback API (amqplib/callback_api).
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { promisify } = require('node:util');
const amqpcb = require('amqplib/callback_api');
const { T, useBroker, uniqueName, withTimeout } = require('./helpers');

const broker = useBroker();

const connectCb = promisify(amqpcb.connect);

async function withConn(t) {
  const conn = await connectCb(broker.url);
  conn.on('error', () => {});
  t.after(() => new Promise((resolve) => conn.close(() => resolve())));
  return conn;
}

const call = (obj, method, ...args) =>
  new Promise((resolve, reject) => obj[method](...args, (err, ok) => (err ? reject(err) : resolve(ok))));

test('callback API: declare, publish, consume, ack, get, delete', T, async (t) => {
  const conn = await withConn(t);
  const ch = await call(conn, 'createChannel');
  ch.on('error', () => {});
  const q = uniqueName('cb');
  t.after(async () => {
    try {
      const c = await connectCb(broker.url);
      const ch2 = await call(c, 'createChannel');
      await call(ch2, 'deleteQueue', q, {});
      await call(c, 'close');
    } catch {}
  });

  const ok = await call(ch, 'assertQueue', q, { durable: false });
  assert.deepEqual(ok, { queue: q, messageCount: 0, consumerCount: 0 });
  assert.equal(ch.sendToQueue(q, Buffer.from('one'), { messageId: 'm1' }), true);
  ch.sendToQueue(q, Buffer.from('two'));
  ch.sendToQueue(q, Buffer.from('three'));

  const got = [];
  let resolveAll;
  const all = new Promise((r) => {
    resolveAll = r;
  });
  const consumeOk = await call(ch, 'consume', q, (m) => {
    got.push(m);
    ch.ack(m);
    if (got.length === 3) resolveAll();
  }, {});
  assert.match(consumeOk.consumerTag, /^amq\.ctag-/);
  await withTimeout(all, 5000, 'three deliveries');
  assert.deepEqual(await call(ch, 'cancel', consumeOk.consumerTag), { consumerTag: consumeOk.consumerTag });
  assert.deepEqual(
    got.map((m) => m.content.toString()),
    ['one', 'two', 'three'],
  );
  assert.equal(got[0].properties.messageId, 'm1');
  assert.equal(got[0].fields.consumerTag, consumeOk.consumerTag);

  // after cancel, new messages wait in the queue for basic.get
  ch.sendToQueue(q, Buffer.from('four'));
  let m = false;
  for (let i = 0; i < 100 && m === false; i++) m = await call(ch, 'get', q, {});
  assert.equal(m.content.toString(), 'four');
  assert.equal(m.fields.messageCount, 0);
  ch.ack(m);
  assert.equal(await call(ch, 'get', q, {}), false);
  assert.deepEqual(await call(ch, 'deleteQueue', q, {}), { messageCount: 0 });
  await call(ch, 'close');
});

test('callback API: checkQueue on a missing queue yields the 404 error', T, async (t) => {
  const conn = await withConn(t);
  const ch = await call(conn, 'createChannel');
  ch.on('error', () => {});
  const q = uniqueName('cb-missing');
  await assert.rejects(call(ch, 'checkQueue', q), (e) => {
    assert.equal(
      e.message,
      `Operation failed: QueueDeclare; 404 (NOT-FOUND) with message "NOT_FOUND - no queue '${q}' in vhost '/'"`,
    );
    assert.equal(e.code, 404);
    return true;
  });
});

test('callback API: confirm channel', T, async (t) => {
  const conn = await withConn(t);
  const ch = await call(conn, 'createConfirmChannel');
  ch.on('error', () => {});
  const { queue } = await call(ch, 'assertQueue', '', { exclusive: true });
  const confirmed = await new Promise((resolve, reject) =>
    ch.sendToQueue(queue, Buffer.from('x'), {}, (err) => (err ? reject(err) : resolve(true))),
  );
  assert.equal(confirmed, true);
  await new Promise((resolve, reject) => ch.waitForConfirms((err) => (err ? reject(err) : resolve())));
  const m = await call(ch, 'get', queue, { noAck: true });
  assert.equal(m.content.toString(), 'x');
});
