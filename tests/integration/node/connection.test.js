'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const amqp = require('amqplib');
const { T, Ctx, useBroker, urlWith, sleep, nextEvent, waitGone, rejectsWith } = require('./helpers');

const broker = useBroker();

test('connect and close', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const conn = await amqp.connect(ctx.url);
  const closed = nextEvent(conn, 'close');
  await conn.close();
  const [err] = await closed;
  assert.equal(err, undefined, 'a client-initiated close emits close without an error');
  // closing twice is a client-side error
  await assert.rejects(conn.close(), /Connection closed/);
});

test('server properties advertise the capabilities clients rely on', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const conn = await ctx.connect();
  const props = conn.connection.serverProperties;
  assert.equal(typeof props.product, 'string');
  assert.equal(typeof props.version, 'string');
  const caps = props.capabilities;
  for (const cap of [
    'publisher_confirms',
    'exchange_exchange_bindings',
    'basic.nack',
    'consumer_cancel_notify',
    'per_consumer_qos',
    'authentication_failure_close',
  ]) {
    assert.equal(caps[cap], true, `capability ${cap}`);
  }
  assert.ok(conn.connection.frameMax >= 4096, 'frameMax negotiated');
  assert.ok(conn.connection.channelMax > 0, 'channelMax negotiated');
});

test('client can lower frameMax and heartbeat via the URL', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const c1 = await ctx.connect(urlWith(ctx.url, { frameMax: 8192 }));
  assert.equal(c1.connection.frameMax, 8192);
  const c2 = await ctx.connect(urlWith(ctx.url, { heartbeat: 0 }));
  assert.equal(c2.connection.heartbeat, 0);
});

test('server heartbeats keep an idle connection alive (heartbeat=1)', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const conn = await ctx.connect(urlWith(ctx.url, { heartbeat: 1 }));
  assert.equal(conn.connection.heartbeat, 1);
  let closed = false;
  conn.on('close', () => {
    closed = true;
  });
  // amqplib closes the connection after two missed server heartbeats.
  await sleep(3500);
  assert.equal(closed, false, 'connection must survive idle time when the server sends heartbeats');
  const ch = await ctx.channel(conn);
  const q = await ch.assertQueue('', { exclusive: true });
  assert.match(q.queue, /^amq\.gen-/);
});

test('bad password is refused with 403 ACCESS_REFUSED', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const u = new URL(ctx.url);
  u.password = 'definitely-wrong';
  await assert.rejects(amqp.connect(u.toString()), (e) => {
    assert.equal(
      e.message,
      'Handshake terminated by server: 403 (ACCESS-REFUSED) with message ' +
        '"ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN. For details see the broker logfile."',
    );
    return true;
  });
  u.username = 'no-such-user';
  await assert.rejects(amqp.connect(u.toString()), /403 \(ACCESS-REFUSED\) with message "ACCESS_REFUSED - Login was refused/);
});

test('unknown vhost: server answers connection.open with connection.close', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const u = new URL(ctx.url);
  u.pathname = '/warren-it-no-such-vhost';
  await assert.rejects(amqp.connect(u.toString()), (e) => {
    assert.equal(e.message, 'Expected ConnectionOpenOk; got <ConnectionClose channel:0>');
    return true;
  });
});

test('channel open/close, many channels on one connection', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const conn = await ctx.connect();
  const chans = await Promise.all(Array.from({ length: 50 }, () => conn.createChannel()));
  assert.equal(new Set(chans.map((c) => c.ch)).size, 50, 'distinct channel numbers');
  await Promise.all(
    chans.map(async (ch) => {
      const q = await ch.assertQueue('', { exclusive: true });
      assert.match(q.queue, /^amq\.gen-/);
    }),
  );
  for (const ch of chans) {
    const closed = nextEvent(ch, 'close');
    await ch.close();
    await closed;
  }
  // operations on a closed channel fail client-side
  await assert.rejects(chans[0].assertQueue(''), /Channel closed/);
  // the connection itself is still usable
  const ch = await conn.createChannel();
  await ch.assertQueue('', { exclusive: true });
  await ch.close();
});

test('a channel error closes only that channel', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const conn = await ctx.connect();
  const good = await ctx.channel(conn);
  const bad = await ctx.channel(conn);
  const badClosed = nextEvent(bad, 'close');
  await rejectsWith(
    bad.checkQueue('warren-it-missing-queue-zz9'),
    404,
    'QueueDeclare',
    "NOT_FOUND - no queue 'warren-it-missing-queue-zz9' in vhost '/'",
  );
  await badClosed;
  const q = await good.assertQueue('', { exclusive: true });
  assert.equal(q.messageCount, 0);
  // and a new channel can be opened on the same connection
  const again = await ctx.channel(conn);
  await again.checkQueue(q.queue);
});

test('unknown exchange type is a connection error 503 COMMAND_INVALID', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const conn = await ctx.connect();
  const ch = await ctx.channel(conn);
  const connClosed = nextEvent(conn, 'close');
  const name = ctx.exchangeName('badtype');
  await assert.rejects(ch.assertExchange(name, 'no-such-type'));
  const [err] = await connClosed;
  assert.equal(
    err.message,
    'Connection closed: 503 (COMMAND-INVALID) with message "COMMAND_INVALID - unknown exchange type \'no-such-type\'"',
  );
  assert.equal(err.code, 503);
  // other connections are unaffected
  const conn2 = await ctx.connect();
  const ch2 = await ctx.channel(conn2);
  await assert.rejects(ch2.checkExchange(name), /404 \(NOT-FOUND\)/);
});

test('reusing a consumer tag on a channel is a connection error 530 NOT_ALLOWED', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const conn = await ctx.connect();
  const ch = await ctx.channel(conn);
  const q = (await ch.assertQueue('', { exclusive: true })).queue;
  await ch.consume(q, () => {}, { consumerTag: 'warren-it-ctag' });
  const connClosed = nextEvent(conn, 'close');
  await assert.rejects(ch.consume(q, () => {}, { consumerTag: 'warren-it-ctag' }));
  const [err] = await connClosed;
  assert.equal(
    err.message,
    'Connection closed: 530 (NOT-ALLOWED) with message "NOT_ALLOWED - attempt to reuse consumer tag \'warren-it-ctag\'"',
  );
});

test('exclusive queue disappears when its connection closes', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const conn = await amqp.connect(ctx.url);
  const ch = await conn.createChannel();
  const name = ctx.queueName('excl-gone');
  await ch.assertQueue(name, { exclusive: true });
  await conn.close();
  const e = await waitGone(ctx, 'queue', name);
  assert.equal(e.message, `Operation failed: QueueDeclare; 404 (NOT-FOUND) with message "NOT_FOUND - no queue '${name}' in vhost '/'"`);
});
