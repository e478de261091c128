'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { T, Ctx, useBroker, urlWith, consumeN, getWithin, withTimeout, waitForCount } = require('./helpers');

const broker = useBroker();

const sha = (b) => crypto.createHash('sha256').update(b).digest('hex');

test('5 MiB message round-trips (split across many frames)', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const conn = await ctx.connect();
  const ch = await ctx.channel(conn, true);
  const q = (await ch.assertQueue('', { exclusive: true })).queue;
  const body = crypto.randomBytes(5 * 1024 * 1024);
  const props = { messageId: 'big', headers: { size: body.length } };
  ch.sendToQueue(q, body, props);
  await withTimeout(ch.waitForConfirms(), 15000, 'confirm of 5 MiB message');
  const m = await getWithin(ch, q, { noAck: true });
  assert.equal(m.content.length, body.length);
  assert.equal(sha(m.content), sha(body));
  assert.equal(m.properties.messageId, 'big');
  assert.equal(m.properties.headers.size, body.length);

  // and through basic.consume
  ch.sendToQueue(q, body);
  const { msgs } = await consumeN(ch, q, 1, { noAck: true });
  assert.equal(sha(msgs[0].content), sha(body));
});

test('frame boundaries with frameMax=4096', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const conn = await ctx.connect(urlWith(ctx.url, { frameMax: 4096 }));
  assert.equal(conn.connection.frameMax, 4096);
  const ch = await ctx.channel(conn);
  const q = (await ch.assertQueue('', { exclusive: true })).queue;
  // a body frame carries at most frameMax - 8 bytes
  const sizes = [0, 1, 4087, 4088, 4089, 8175, 8176, 8177, 1024 * 1024];
  const bodies = sizes.map((n) => crypto.randomBytes(n));
  for (const b of bodies) ch.sendToQueue(q, b, { headers: { n: b.length } });
  const { msgs } = await consumeN(ch, q, bodies.length, { noAck: true });
  msgs.forEach((m, i) => {
    assert.equal(m.content.length, sizes[i], `size #${i}`);
    assert.ok(m.content.equals(bodies[i]), `body #${i} (${sizes[i]} bytes)`);
  });
});

test('10,000 messages are delivered in publish order', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const conn = await ctx.connect();
  const pub = await ctx.channel(conn, true);
  const sub = await ctx.channel(await ctx.connect());
  const q = (await pub.assertQueue('', { exclusive: false, autoDelete: true, durable: false })).queue;
  ctx.trackQueue(q);
  const N = 10000;
  await sub.prefetch(200);
  const received = [];
  let done;
  const all = new Promise((r) => {
    done = r;
  });
  await sub.consume(q, (m) => {
    received.push(m.content.readUInt32BE(0));
    sub.ack(m);
    if (received.length === N) done();
  });
  for (let i = 0; i < N; i++) {
    const b = Buffer.alloc(16);
    b.writeUInt32BE(i, 0);
    pub.sendToQueue(q, b);
  }
  await withTimeout(pub.waitForConfirms(), 15000, 'confirms for 10,000 publishes');
  await withTimeout(all, 15000, `10,000 deliveries (got ${received.length})`);
  for (let i = 0; i < N; i++) {
    if (received[i] !== i) assert.fail(`message #${i} out of order: got ${received[i]}`);
  }
  await waitForCount(pub, q, 0);
});

test('10,000 queued messages drain in order via basic.get counts and consume', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const ch = await ctx.channel(undefined, true);
  const q = (await ch.assertQueue('', { exclusive: true })).queue;
  const N = 10000;
  for (let i = 0; i < N; i++) ch.sendToQueue(q, Buffer.from(String(i)));
  await withTimeout(ch.waitForConfirms(), 15000, 'confirms');
  assert.equal((await ch.checkQueue(q)).messageCount, N);
  const first = await ch.get(q, { noAck: true });
  assert.equal(first.content.toString(), '0');
  assert.equal(first.fields.messageCount, N - 1);
  const { msgs } = await consumeN(ch, q, N - 1, { noAck: true });
  for (let i = 0; i < N - 1; i++) {
    if (msgs[i].content.toString() !== String(i + 1)) assert.fail(`position ${i + 1}: got ${msgs[i].content}`);
  }
});
