'use strict';
// wire.js must come before anything that loads amqplib.
const wire = require('./wire');
const { test } = require('node:test');
const assert = require('node:assert/strict');
const {
  T,
  Ctx,
  useBroker,
  consumeN,
  getWithin,
  nextChannelError,
  channelClosedText,
  waitForCount,
} = require('./helpers');

const broker = useBroker();

const HEADERS = {
  str: 'hello',
  empty: '',
  utf8: 'héllo wörld ✓ 日本',
  i8: 7,
  i8neg: -100,
  i16: 1000,
  i32: 100000,
  i64: 2 ** 40,
  i64neg: -(2 ** 40),
  dbl: 3.25,
  yes: true,
  no: false,
  nothing: null,
  buf: Buffer.from([0, 1, 2, 127, 128, 255]),
  arr: [1, 'two', true, [3, 4], { k: 'v' }, null, 2.5],
  nested: { a: { b: { c: 'deep', n: 42, list: [{ x: 1 }, []] } }, emptyTable: {} },
  ts: { '!': 'timestamp', value: 1700000000 },
  flt: { '!': 'float', value: 1.5 },
  dec: { '!': 'decimal', value: { places: 2, digits: 12345 } },
  u8: { '!': 'uint8', value: 200 },
  u16: { '!': 'uint16', value: 60000 },
  u32: { '!': 'uint32', value: 4000000000 },
  i64small: { '!': 'int64', value: 5 },
  i32small: { '!': 'int32', value: 5 },
  i16small: { '!': 'int16', value: 5 },
};

// What amqplib hands back after decoding HEADERS.
const DECODED_HEADERS = {
  ...HEADERS,
  flt: 1.5,
  u8: 200,
  u16: 60000,
  u32: 4000000000,
  i64small: 5,
  i32small: 5,
  i16small: 5,
};

const ALL_PROPS = {
  contentType: 'application/json',
  contentEncoding: 'gzip',
  headers: HEADERS,
  deliveryMode: 2,
  priority: 5,
  correlationId: 'corr-1',
  replyTo: 'reply.queue',
  expiration: '600000',
  messageId: 'mid-1',
  timestamp: 1700000000,
  type: 'my.type',
  userId: 'guest',
  appId: 'warren-tests',
};

const DECODED_ALL_PROPS = {
  ...ALL_PROPS,
  headers: DECODED_HEADERS,
  clusterId: undefined, // amqplib never sends cluster-id
};

const DECODED_NO_PROPS = {
  contentType: undefined,
  contentEncoding: undefined,
  headers: {}, // amqplib always sends a (possibly empty) headers table
  deliveryMode: undefined,
  priority: undefined,
  correlationId: undefined,
  replyTo: undefined,
  expiration: undefined,
  messageId: undefined,
  timestamp: undefined,
  type: undefined,
  userId: undefined,
  appId: undefined,
  clusterId: undefined,
};

test('all basic properties round-trip exactly through basic.get', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const ch = await ctx.channel();
  const q = (await ch.assertQueue('', { exclusive: true })).queue;
  wire.clear();
  assert.equal(ch.sendToQueue(q, Buffer.from('body-1'), ALL_PROPS), true);
  const m = await getWithin(ch, q, { noAck: true });
  assert.ok(m, 'message arrived');
  assert.equal(m.content.toString(), 'body-1');
  assert.deepEqual(m.properties, DECODED_ALL_PROPS);
  assert.deepEqual(m.fields, { deliveryTag: 1, redelivered: false, exchange: '', routingKey: q, messageCount: 0 });
  // byte-for-byte: same flags, same field order, same table type tags
  assert.equal(wire.received.length, 1);
  assert.equal(wire.received[0].toString('hex'), wire.encodedProperties(ALL_PROPS).toString('hex'));
});

test('all basic properties round-trip exactly through basic.consume via an exchange', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const ch = await ctx.channel();
  const x = ctx.exchangeName('props');
  await ch.assertExchange(x, 'topic', { durable: false });
  const q = (await ch.assertQueue('', { exclusive: true })).queue;
  await ch.bindQueue(q, x, 'props.#');
  wire.clear();
  ch.publish(x, 'props.all', Buffer.from('body-2'), ALL_PROPS);
  const { msgs, consumerTag } = await consumeN(ch, q, 1, { noAck: true });
  const [m] = msgs;
  assert.equal(m.content.toString(), 'body-2');
  assert.deepEqual(m.properties, DECODED_ALL_PROPS);
  assert.deepEqual(m.fields, {
    consumerTag,
    deliveryTag: 1,
    redelivered: false,
    exchange: x,
    routingKey: 'props.all',
  });
  assert.equal(wire.received[0].toString('hex'), wire.encodedProperties(ALL_PROPS).toString('hex'));
});

test('each property alone round-trips (property flags are preserved)', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const ch = await ctx.channel();
  const q = (await ch.assertQueue('', { exclusive: true })).queue;
  const singles = Object.entries(ALL_PROPS).map(([k, v]) => ({ [k]: v }));
  singles.push({});
  singles.push({ deliveryMode: 1 });
  singles.push({ persistent: true });
  singles.push({ priority: 0, timestamp: 0 });
  wire.clear();
  for (const opts of singles) ch.sendToQueue(q, Buffer.from(JSON.stringify(Object.keys(opts))), opts);
  const { msgs } = await consumeN(ch, q, singles.length, { noAck: true });
  for (let i = 0; i < singles.length; i++) {
    const opts = singles[i];
    const expected = { ...DECODED_NO_PROPS };
    for (const [k, v] of Object.entries(opts)) {
      if (k === 'persistent') expected.deliveryMode = 2;
      else if (k === 'headers') expected.headers = DECODED_HEADERS;
      else expected[k] = v;
    }
    assert.deepEqual(msgs[i].properties, expected, `properties #${i} ${JSON.stringify(Object.keys(opts))}`);
    assert.equal(
      wire.received[i].toString('hex'),
      wire.encodedProperties(opts).toString('hex'),
      `raw properties #${i}`,
    );
  }
});

test('persistent message in a durable queue keeps its properties', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const ch = await ctx.channel();
  const q = ctx.queueName('durable-props');
  await ch.assertQueue(q, { durable: true });
  const opts = { ...ALL_PROPS, deliveryMode: undefined, persistent: true };
  wire.clear();
  ch.sendToQueue(q, Buffer.from('persisted'), opts);
  await waitForCount(ch, q, 1);
  const m = await ch.get(q, { noAck: true });
  assert.equal(m.properties.deliveryMode, 2);
  assert.deepEqual(m.properties.headers, DECODED_HEADERS);
  assert.equal(wire.received[0].toString('hex'), wire.encodedProperties(opts).toString('hex'));
});

test('bodies: empty, every byte value, utf-8', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const ch = await ctx.channel();
  const q = (await ch.assertQueue('', { exclusive: true })).queue;
  const bytes = Buffer.alloc(256);
  for (let i = 0; i < 256; i++) bytes[i] = i;
  const bodies = [Buffer.alloc(0), bytes, Buffer.from('ünïcødé ✓ 🐇', 'utf8'), Buffer.from([0xce]), Buffer.alloc(1000, 0)];
  for (const b of bodies) ch.sendToQueue(q, b);
  const { msgs } = await consumeN(ch, q, bodies.length, { noAck: true });
  msgs.forEach((m, i) => assert.ok(m.content.equals(bodies[i]), `body #${i}`));
  // and via basic.get
  for (const b of bodies) ch.sendToQueue(q, b);
  for (const b of bodies) {
    const m = await getWithin(ch, q, { noAck: true });
    assert.ok(m.content.equals(b));
  }
});

test('userId must match the authenticated user (406 PRECONDITION_FAILED otherwise)', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const conn = await ctx.connect();
  const ch = await ctx.channel(conn);
  const q = (await ch.assertQueue('', { exclusive: true })).queue;
  ch.sendToQueue(q, Buffer.from('ok'), { userId: 'guest' });
  const m = await getWithin(ch, q, { noAck: true });
  assert.equal(m.properties.userId, 'guest');

  const bad = await ctx.channel(conn);
  const err = nextChannelError(bad);
  bad.sendToQueue(q, Buffer.from('spoofed'), { userId: 'bob' });
  const e = await err;
  assert.equal(
    e.message,
    channelClosedText(406, "PRECONDITION_FAILED - user_id property set to 'bob' but authenticated user was 'guest'"),
  );
  assert.equal(e.code, 406);
  // the spoofed message was not enqueued
  assert.equal((await ch.checkQueue(q)).messageCount, 0);
});

test('per-message TTL (expiration property)', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const conn = await ctx.connect();
  const ch = await ctx.channel(conn);
  const q = (await ch.assertQueue('', { exclusive: true })).queue;
  ch.sendToQueue(q, Buffer.from('zero'), { expiration: '0' }); // no consumer: dropped at once
  ch.sendToQueue(q, Buffer.from('short'), { expiration: '100' });
  ch.sendToQueue(q, Buffer.from('long'), { expiration: '600000' });
  ch.sendToQueue(q, Buffer.from('none'));
  // expired messages are removed from the queue (and its count) without a consumer
  await waitForCount(ch, q, 2);
  const a = await ch.get(q, { noAck: true });
  const b = await ch.get(q, { noAck: true });
  assert.equal(a.content.toString(), 'long');
  assert.equal(a.properties.expiration, '600000', 'expiration is delivered unchanged');
  assert.equal(b.content.toString(), 'none');
  assert.equal(await ch.get(q, { noAck: true }), false);

  // expiration '0' is delivered when a consumer can take it immediately
  const got = [];
  await ch.consume(q, (m) => got.push(m.content.toString()), { noAck: true });
  ch.sendToQueue(q, Buffer.from('zero-with-consumer'), { expiration: '0' });
  const deadline = Date.now() + 5000;
  while (got.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(got, ['zero-with-consumer']);

});

test('invalid expiration / delivery-mode values close the channel with 406', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const conn = await ctx.connect();
  const ch = await ctx.channel(conn);
  const q = (await ch.assertQueue('', { exclusive: true })).queue;
  for (const [props, text] of [
    [{ expiration: 'abc' }, "PRECONDITION_FAILED - invalid expiration 'abc': no_integer"],
    [{ expiration: '-1' }, "PRECONDITION_FAILED - invalid expiration '-1': {value_negative,-1}"],
    [{ deliveryMode: 0 }, 'PRECONDITION_FAILED - invalid message: {delivery_mode_unknown,0}'],
    [{ deliveryMode: 3 }, 'PRECONDITION_FAILED - invalid message: {delivery_mode_unknown,3}'],
  ]) {
    const bad = await ctx.channel(conn);
    const err = nextChannelError(bad);
    bad.sendToQueue(q, Buffer.from('bad'), props);
    assert.equal((await err).message, channelClosedText(406, text), JSON.stringify(props));
  }
  assert.equal((await ch.checkQueue(q)).messageCount, 0, 'nothing was enqueued');
});
