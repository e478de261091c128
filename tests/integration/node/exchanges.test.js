'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { T, Ctx, useBroker, sleep, waitGone, rejectsWith, nextChannelError, channelClosedText } = require('./helpers');

const broker = useBroker();

// Publishes `keys` (each message body = its routing key, or the given body),
// then drains every queue with basic.get and returns { queue: [bodies] }.
async function drain(ch, queues) {
  // routing is synchronous with respect to the publishing channel in RabbitMQ,
  // but give deliveries a moment to settle before draining
  await sleep(100);
  const out = {};
  for (const [label, q] of Object.entries(queues)) {
    out[label] = [];
    for (;;) {
      const m = await ch.get(q, { noAck: true });
      if (m === false) break;
      out[label].push(m.content.toString());
    }
  }
  return out;
}

async function tmpQueue(ch) {
  return (await ch.assertQueue('', { exclusive: true })).queue;
}

test('assertExchange for direct, fanout, topic and headers', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const ch = await ctx.channel();
  for (const type of ['direct', 'fanout', 'topic', 'headers']) {
    for (const durable of [true, false]) {
      const name = ctx.exchangeName(`${type}-${durable}`);
      assert.deepEqual(await ch.assertExchange(name, type, { durable, autoDelete: false }), { exchange: name });
      // identical redeclare is fine
      assert.deepEqual(await ch.assertExchange(name, type, { durable, autoDelete: false }), { exchange: name });
      assert.deepEqual(await ch.checkExchange(name), {});
    }
  }
});

test('the standard exchanges exist', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const ch = await ctx.channel();
  for (const name of ['amq.direct', 'amq.fanout', 'amq.topic', 'amq.headers', 'amq.match']) {
    assert.deepEqual(await ch.checkExchange(name), {}, name);
  }
  assert.deepEqual(await ch.assertExchange('amq.direct', 'direct', { durable: true }), { exchange: 'amq.direct' });
  assert.deepEqual(await ch.assertExchange('amq.topic', 'topic', { durable: true }), { exchange: 'amq.topic' });
});

test('checkExchange on a missing exchange fails with 404', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const ch = await ctx.channel();
  const name = ctx.exchangeName('missing');
  await rejectsWith(ch.checkExchange(name), 404, 'ExchangeDeclare', `NOT_FOUND - no exchange '${name}' in vhost '/'`);
});

test('redeclaring an exchange with different properties fails with 406', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const conn = await ctx.connect();
  const name = ctx.exchangeName('mismatch');
  await (await ctx.channel(conn)).assertExchange(name, 'topic', { durable: false, autoDelete: false });
  const pre = (arg, recv, cur) =>
    `PRECONDITION_FAILED - inequivalent arg '${arg}' for exchange '${name}' in vhost '/': received '${recv}' but current is '${cur}'`;
  await rejectsWith(
    (await ctx.channel(conn)).assertExchange(name, 'topic', { durable: true, autoDelete: false }),
    406,
    'ExchangeDeclare',
    pre('durable', 'true', 'false'),
  );
  await rejectsWith(
    (await ctx.channel(conn)).assertExchange(name, 'direct', { durable: false, autoDelete: false }),
    406,
    'ExchangeDeclare',
    pre('type', 'direct', 'topic'),
  );
  await rejectsWith(
    (await ctx.channel(conn)).assertExchange(name, 'topic', { durable: false, autoDelete: true }),
    406,
    'ExchangeDeclare',
    pre('auto_delete', 'true', 'false'),
  );
  await rejectsWith(
    (await ctx.channel(conn)).assertExchange(name, 'topic', { durable: false, autoDelete: false, internal: true }),
    406,
    'ExchangeDeclare',
    pre('internal', 'true', 'false'),
  );
  await rejectsWith(
    (await ctx.channel(conn)).assertExchange('amq.direct', 'fanout', { durable: true }),
    406,
    'ExchangeDeclare',
    "PRECONDITION_FAILED - inequivalent arg 'type' for exchange 'amq.direct' in vhost '/': received 'fanout' but current is 'direct'",
  );
});

test("reserved 'amq.' names and the default exchange are protected (403)", T, async (t) => {
  const ctx = new Ctx(broker, t);
  const conn = await ctx.connect();
  const name = `amq.${ctx.exchangeName('reserved')}`;
  await rejectsWith(
    (await ctx.channel(conn)).assertExchange(name, 'direct'),
    403,
    'ExchangeDeclare',
    `ACCESS_REFUSED - exchange name '${name}' contains reserved prefix 'amq.*'`,
  );
  await rejectsWith(
    (await ctx.channel(conn)).deleteExchange('amq.direct'),
    403,
    'ExchangeDelete',
    "ACCESS_REFUSED - deletion of system exchange 'amq.direct' in vhost '/' not allowed",
  );
  const DEFAULT = 'ACCESS_REFUSED - operation not permitted on the default exchange';
  await rejectsWith((await ctx.channel(conn)).assertExchange('', 'direct'), 403, 'ExchangeDeclare', DEFAULT);
  await rejectsWith((await ctx.channel(conn)).deleteExchange(''), 403, 'ExchangeDelete', DEFAULT);
  const ch = await ctx.channel(conn);
  const q = await tmpQueue(ch);
  await rejectsWith(ch.bindQueue(q, '', 'k'), 403, 'QueueBind', DEFAULT);
  await rejectsWith((await ctx.channel(conn)).unbindQueue(q, '', q), 403, 'QueueUnbind', DEFAULT);
});

test('deleteExchange: ok when missing, ifUnused fails with 406 while bound', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const conn = await ctx.connect();
  const ch = await ctx.channel(conn);
  assert.deepEqual(await ch.deleteExchange(ctx.exchangeName('never-declared')), {});
  const name = ctx.exchangeName('del-if-unused');
  await ch.assertExchange(name, 'fanout', { durable: false });
  const q = await tmpQueue(ch);
  await ch.bindQueue(q, name, '');
  await rejectsWith(
    (await ctx.channel(conn)).deleteExchange(name, { ifUnused: true }),
    406,
    'ExchangeDelete',
    `PRECONDITION_FAILED - exchange '${name}' in vhost '/' in use`,
  );
  await ch.unbindQueue(q, name, '');
  assert.deepEqual(await ch.deleteExchange(name, { ifUnused: true }), {});
  await rejectsWith(ch.checkExchange(name), 404, 'ExchangeDeclare', `NOT_FOUND - no exchange '${name}' in vhost '/'`);
});

test('deleting an exchange removes its bindings', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const ch = await ctx.channel();
  const name = ctx.exchangeName('del-bindings');
  await ch.assertExchange(name, 'fanout', { durable: false });
  const q = await tmpQueue(ch);
  await ch.bindQueue(q, name, '');
  await ch.deleteExchange(name);
  await ch.assertExchange(name, 'fanout', { durable: false });
  ch.publish(name, '', Buffer.from('after-recreate'));
  assert.deepEqual(await drain(ch, { q }), { q: [] });
});

test('autoDelete exchange is removed when its last binding goes', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const conn = await ctx.connect();
  const ch = await ctx.channel(conn);
  const name = ctx.exchangeName('autodel');
  await ch.assertExchange(name, 'fanout', { durable: false, autoDelete: true });
  await sleep(50);
  assert.deepEqual(await ch.checkExchange(name), {}, 'never bound: still there');
  const q = await tmpQueue(ch);
  await ch.bindQueue(q, name, '');
  await ch.unbindQueue(q, name, '');
  const e = await waitGone(ctx, 'exchange', name);
  assert.equal(e.message, `Operation failed: ExchangeDeclare; 404 (NOT-FOUND) with message "NOT_FOUND - no exchange '${name}' in vhost '/'"`);
});

test('default exchange routes by queue name', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const ch = await ctx.channel();
  const q = await tmpQueue(ch);
  ch.publish('', q, Buffer.from('a'));
  ch.sendToQueue(q, Buffer.from('b'));
  ch.publish('', `${q}-nope`, Buffer.from('lost'));
  assert.deepEqual(await drain(ch, { q }), { q: ['a', 'b'] });
  // RabbitMQ 3.10 has no 'amq.default' alias: publishing there is a 404
  const err = nextChannelError(ch);
  ch.publish('amq.default', q, Buffer.from('c'));
  assert.equal((await err).message, channelClosedText(404, "NOT_FOUND - no exchange 'amq.default' in vhost '/'"));
  // and even a passive declare of the default exchange is refused
  await rejectsWith(
    (await ctx.channel()).checkExchange(''),
    403,
    'ExchangeDeclare',
    'ACCESS_REFUSED - operation not permitted on the default exchange',
  );
});

test('direct exchange routing, bindQueue/unbindQueue', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const ch = await ctx.channel();
  const x = ctx.exchangeName('direct');
  await ch.assertExchange(x, 'direct', { durable: false });
  const q1 = await tmpQueue(ch);
  const q2 = await tmpQueue(ch);
  assert.deepEqual(await ch.bindQueue(q1, x, 'red'), {});
  await ch.bindQueue(q1, x, 'green');
  await ch.bindQueue(q2, x, 'green');
  await ch.bindQueue(q2, x, 'green'); // duplicate binding is a no-op
  for (const k of ['red', 'green', 'blue', 'RED', '']) ch.publish(x, k, Buffer.from(k));
  assert.deepEqual(await drain(ch, { q1, q2 }), { q1: ['red', 'green'], q2: ['green'] });

  assert.deepEqual(await ch.unbindQueue(q1, x, 'green'), {});
  // unbinding a binding that does not exist is not an error
  assert.deepEqual(await ch.unbindQueue(q1, x, 'never-bound'), {});
  for (const k of ['red', 'green']) ch.publish(x, k, Buffer.from(k));
  assert.deepEqual(await drain(ch, { q1, q2 }), { q1: ['red'], q2: ['green'] });
});

test('fanout exchange ignores the routing key', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const ch = await ctx.channel();
  const x = ctx.exchangeName('fanout');
  await ch.assertExchange(x, 'fanout', { durable: false });
  const qs = { a: await tmpQueue(ch), b: await tmpQueue(ch), c: await tmpQueue(ch) };
  await ch.bindQueue(qs.a, x, '');
  await ch.bindQueue(qs.b, x, 'whatever');
  ch.publish(x, 'k1', Buffer.from('1'));
  ch.publish(x, '', Buffer.from('2'));
  assert.deepEqual(await drain(ch, qs), { a: ['1', '2'], b: ['1', '2'], c: [] });
});

test('topic exchange pattern matching', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const ch = await ctx.channel();
  const x = ctx.exchangeName('topic');
  await ch.assertExchange(x, 'topic', { durable: false });
  const patterns = ['#', '*', 'a.#', 'a.*', '#.b', 'a.#.b', '*.*', 'a..b', 'a.*.b', '#.#', '', '*.orange.*', 'lazy.#'];
  const qs = {};
  for (const p of patterns) {
    qs[p] = await tmpQueue(ch);
    await ch.bindQueue(qs[p], x, p);
  }
  const keys = ['', 'a', 'b', 'a.b', 'a.x.b', 'a.x.y.b', 'a..b', 'x.a.b', '.', 'a.', 'quick.orange.rabbit', 'lazy', 'lazy.brown.fox'];
  for (const k of keys) ch.publish(x, k, Buffer.from(k));
  const got = await drain(ch, qs);
  assert.deepEqual(got, {
    '#': keys,
    '*': ['a', 'b', 'lazy'],
    'a.#': ['a', 'a.b', 'a.x.b', 'a.x.y.b', 'a..b', 'a.'],
    'a.*': ['a.b', 'a.'],
    '#.b': ['b', 'a.b', 'a.x.b', 'a.x.y.b', 'a..b', 'x.a.b'],
    'a.#.b': ['a.b', 'a.x.b', 'a.x.y.b', 'a..b'],
    '*.*': ['a.b', '.', 'a.'],
    'a..b': ['a..b'],
    'a.*.b': ['a.x.b', 'a..b'],
    '#.#': keys,
    '': [''],
    '*.orange.*': ['quick.orange.rabbit'],
    'lazy.#': ['lazy', 'lazy.brown.fox'],
  });
});

test('headers exchange x-match all / any', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const ch = await ctx.channel();
  const x = ctx.exchangeName('headers');
  await ch.assertExchange(x, 'headers', { durable: false });
  const qs = {
    all: await tmpQueue(ch),
    any: await tmpQueue(ch),
    dflt: await tmpQueue(ch), // no x-match: defaults to all
    empty: await tmpQueue(ch), // no headers to match: matches everything
  };
  await ch.bindQueue(qs.all, x, '', { 'x-match': 'all', format: 'pdf', type: 'report' });
  await ch.bindQueue(qs.any, x, '', { 'x-match': 'any', format: 'pdf', type: 'report' });
  await ch.bindQueue(qs.dflt, x, 'ignored-key', { format: 'pdf', type: 'report' });
  await ch.bindQueue(qs.empty, x, '', { 'x-match': 'all' });
  const pub = (body, headers) => ch.publish(x, 'rk', Buffer.from(body), { headers });
  pub('both', { format: 'pdf', type: 'report' });
  pub('both+extra', { format: 'pdf', type: 'report', extra: 1 });
  pub('format-only', { format: 'pdf' });
  pub('type-only', { type: 'report' });
  pub('wrong-value', { format: 'zip', type: 'log' });
  pub('none', {});
  assert.deepEqual(await drain(ch, qs), {
    all: ['both', 'both+extra'],
    any: ['both', 'both+extra', 'format-only', 'type-only'],
    dflt: ['both', 'both+extra'],
    empty: ['both', 'both+extra', 'format-only', 'type-only', 'wrong-value', 'none'],
  });
  // unbinding a headers binding needs the same arguments
  await ch.unbindQueue(qs.all, x, '', { 'x-match': 'all', format: 'pdf', type: 'report' });
  pub('after-unbind', { format: 'pdf', type: 'report' });
  const after = await drain(ch, { all: qs.all });
  assert.deepEqual(after, { all: [] });
});

test('bindQueue to a missing exchange or queue fails with 404', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const conn = await ctx.connect();
  const ch = await ctx.channel(conn);
  const q = await tmpQueue(ch);
  const x = ctx.exchangeName('missing');
  await rejectsWith(
    (await ctx.channel(conn)).bindQueue(q, x, 'k'),
    404,
    'QueueBind',
    `NOT_FOUND - no exchange '${x}' in vhost '/'`,
  );
  const mq = ctx.queueName('missing');
  await rejectsWith(
    (await ctx.channel(conn)).bindQueue(mq, 'amq.direct', 'k'),
    404,
    'QueueBind',
    `NOT_FOUND - no queue '${mq}' in vhost '/'`,
  );
});

test('bindExchange/unbindExchange: exchange-to-exchange routing', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const ch = await ctx.channel();
  const src = ctx.exchangeName('e2e-src');
  const mid = ctx.exchangeName('e2e-mid');
  const dst = ctx.exchangeName('e2e-dst');
  await ch.assertExchange(src, 'topic', { durable: false });
  await ch.assertExchange(mid, 'direct', { durable: false });
  await ch.assertExchange(dst, 'fanout', { durable: false });
  const qMid = await tmpQueue(ch);
  const qDst = await tmpQueue(ch);
  await ch.bindQueue(qMid, mid, 'a.b');
  await ch.bindQueue(qDst, dst, '');
  // src --(a.*)--> mid --(a.b)--> qMid ; mid --(a.b)--> dst --> qDst
  assert.deepEqual(await ch.bindExchange(mid, src, 'a.*'), {});
  await ch.bindExchange(dst, mid, 'a.b');
  ch.publish(src, 'a.b', Buffer.from('1'));
  ch.publish(src, 'a.c', Buffer.from('2')); // reaches mid, no binding there
  ch.publish(src, 'x.y', Buffer.from('3')); // stops at src
  ch.publish(mid, 'a.b', Buffer.from('4'));
  assert.deepEqual(await drain(ch, { qMid, qDst }), { qMid: ['1', '4'], qDst: ['1', '4'] });

  // a message reaching the same queue via two paths is delivered once
  await ch.bindQueue(qDst, src, '#');
  ch.publish(src, 'a.b', Buffer.from('5'));
  assert.deepEqual(await drain(ch, { qMid, qDst }), { qMid: ['5'], qDst: ['5'] });
  await ch.unbindQueue(qDst, src, '#');

  assert.deepEqual(await ch.unbindExchange(dst, mid, 'a.b'), {});
  ch.publish(src, 'a.b', Buffer.from('6'));
  assert.deepEqual(await drain(ch, { qMid, qDst }), { qMid: ['6'], qDst: [] });
  await ch.unbindExchange(mid, src, 'a.*');
  ch.publish(src, 'a.b', Buffer.from('7'));
  assert.deepEqual(await drain(ch, { qMid, qDst }), { qMid: [], qDst: [] });
});

test('bindExchange with a missing source or destination fails with 404', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const conn = await ctx.connect();
  const x = ctx.exchangeName('e2e-exists');
  await (await ctx.channel(conn)).assertExchange(x, 'fanout', { durable: false });
  const missing = ctx.exchangeName('e2e-missing');
  await rejectsWith(
    (await ctx.channel(conn)).bindExchange(x, missing, ''),
    404,
    'ExchangeBind',
    `NOT_FOUND - no exchange '${missing}' in vhost '/'`,
  );
  await rejectsWith(
    (await ctx.channel(conn)).bindExchange(missing, x, ''),
    404,
    'ExchangeBind',
    `NOT_FOUND - no exchange '${missing}' in vhost '/'`,
  );
});

test('internal exchanges refuse direct publishes but route via e2e bindings', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const conn = await ctx.connect();
  const ch = await ctx.channel(conn);
  const internal = ctx.exchangeName('internal');
  const front = ctx.exchangeName('front');
  await ch.assertExchange(internal, 'fanout', { durable: false, internal: true });
  await ch.assertExchange(front, 'fanout', { durable: false });
  await ch.bindExchange(internal, front, '');
  const q = await tmpQueue(ch);
  await ch.bindQueue(q, internal, '');
  ch.publish(front, '', Buffer.from('via-front'));
  assert.deepEqual(await drain(ch, { q }), { q: ['via-front'] });

  const bad = await ctx.channel(conn);
  const err = nextChannelError(bad);
  bad.publish(internal, '', Buffer.from('direct'));
  assert.equal(
    (await err).message,
    channelClosedText(403, `ACCESS_REFUSED - cannot publish to internal exchange '${internal}' in vhost '/'`),
  );
});

test('sender-selected distribution: CC routes to extra keys, BCC is stripped', T, async (t) => {
  const ctx = new Ctx(broker, t);
  const ch = await ctx.channel();
  const q1 = await tmpQueue(ch);
  const q2 = await tmpQueue(ch);
  const q3 = await tmpQueue(ch);
  ch.sendToQueue(q1, Buffer.from('cc'), { CC: [q2], BCC: q3, headers: { a: 1 } });
  await sleep(100);
  for (const q of [q1, q2, q3]) {
    const m = await ch.get(q, { noAck: true });
    assert.ok(m, `message in ${q}`);
    assert.equal(m.content.toString(), 'cc');
    assert.equal(m.fields.routingKey, q1, 'routing key is the original one');
    assert.deepEqual(m.properties.headers, { CC: [q2], a: 1 });
  }
});
