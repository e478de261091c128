#!/usr/bin/env node
'use strict';
// Minimal, dependency-free AMQP 0-9-1 client used by run.sh to look at what
// amqp-tools cannot show: message properties (with field-table type tags)
// and queue counters.
//
//   node amqp-peek.js get   URL QUEUE   basic.get (no-ack); prints one JSON
//                                       line; exit 2 if the queue is empty
//   node amqp-peek.js count URL QUEUE   passive queue.declare; prints
//                                       "<messages> <consumers>"
//   node amqp-peek.js declare-exchange URL NAME TYPE
//                                       non-durable exchange (amqp-tools
//                                       has no command for it)
//   node amqp-peek.js delete-exchange URL NAME
//
// A server channel/connection close prints "error <code> <text>" on stderr
// and exits 1. Everything else that goes wrong exits 3.

const net = require('node:net');
const crypto = require('node:crypto');

const [mode, urlArg, queue, exchangeType] = process.argv.slice(2);
const MODES = ['get', 'count', 'declare-exchange', 'delete-exchange'];
if (!MODES.includes(mode) || !urlArg || queue === undefined || (mode === 'declare-exchange' && !exchangeType)) {
  process.stderr.write('usage: amqp-peek.js get|count URL QUEUE | declare-exchange URL NAME TYPE | delete-exchange URL NAME\n');
  process.exit(3);
}
const url = new URL(urlArg);
const user = decodeURIComponent(url.username || 'guest');
const pass = decodeURIComponent(url.password || 'guest');
const vhost = url.pathname && url.pathname !== '/' ? decodeURIComponent(url.pathname.slice(1)) : '/';

const timer = setTimeout(() => {
  process.stderr.write('amqp-peek: timed out\n');
  process.exit(3);
}, 10000);

// ---- encoding -------------------------------------------------------------
const u8 = (n) => Buffer.from([n]);
const u16 = (n) => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
};
const u32 = (n) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
const shortstr = (s) => {
  const b = Buffer.from(s, 'utf8');
  return Buffer.concat([u8(b.length), b]);
};
const longstr = (s) => {
  const b = Buffer.isBuffer(s) ? s : Buffer.from(s, 'utf8');
  return Buffer.concat([u32(b.length), b]);
};

function frame(type, channel, payload) {
  return Buffer.concat([u8(type), u16(channel), u32(payload.length), payload, u8(0xce)]);
}
const method = (channel, cls, mth, args) => frame(1, channel, Buffer.concat([u16(cls), u16(mth), ...args]));

// ---- decoding -------------------------------------------------------------
class Reader {
  constructor(buf) {
    this.b = buf;
    this.o = 0;
  }
  u8() {
    return this.b.readUInt8(this.o++);
  }
  i8() {
    return this.b.readInt8(this.o++);
  }
  u16() {
    const v = this.b.readUInt16BE(this.o);
    this.o += 2;
    return v;
  }
  i16() {
    const v = this.b.readInt16BE(this.o);
    this.o += 2;
    return v;
  }
  u32() {
    const v = this.b.readUInt32BE(this.o);
    this.o += 4;
    return v;
  }
  i32() {
    const v = this.b.readInt32BE(this.o);
    this.o += 4;
    return v;
  }
  u64() {
    const v = this.b.readBigUInt64BE(this.o);
    this.o += 8;
    return v;
  }
  i64() {
    const v = this.b.readBigInt64BE(this.o);
    this.o += 8;
    return v;
  }
  bytes(n) {
    const v = this.b.subarray(this.o, this.o + n);
    this.o += n;
    return v;
  }
  shortstr() {
    return this.bytes(this.u8()).toString('utf8');
  }
  longstr() {
    return this.bytes(this.u32());
  }
  table() {
    const r = new Reader(this.longstr());
    const out = {};
    while (r.o < r.b.length) {
      const k = r.shortstr();
      out[k] = r.value();
    }
    return out;
  }
  // Field values keep their type tag: [tag, value].
  value() {
    const tag = String.fromCharCode(this.u8());
    switch (tag) {
      case 't':
        return [tag, this.u8() !== 0];
      case 'b':
        return [tag, this.i8()];
      case 'B':
        return [tag, this.u8()];
      case 's':
        return [tag, this.i16()];
      case 'u':
        return [tag, this.u16()];
      case 'I':
        return [tag, this.i32()];
      case 'i':
        return [tag, this.u32()];
      case 'l':
        return [tag, this.i64().toString()];
      case 'f': {
        const v = this.b.readFloatBE(this.o);
        this.o += 4;
        return [tag, v];
      }
      case 'd': {
        const v = this.b.readDoubleBE(this.o);
        this.o += 8;
        return [tag, v];
      }
      case 'D': {
        const scale = this.u8();
        return [tag, { scale, value: this.i32() }];
      }
      case 'S':
        return [tag, this.longstr().toString('utf8')];
      case 'x':
        return [tag, this.longstr().toString('hex')];
      case 'T':
        return [tag, this.u64().toString()];
      case 'F':
        return [tag, this.table()];
      case 'A': {
        const r = new Reader(this.longstr());
        const arr = [];
        while (r.o < r.b.length) arr.push(r.value());
        return [tag, arr];
      }
      case 'V':
        return [tag, null];
      default:
        throw new Error(`unknown field type tag ${JSON.stringify(tag)}`);
    }
  }
}

const PROPS = [
  ['content_type', 'shortstr'],
  ['content_encoding', 'shortstr'],
  ['headers', 'table'],
  ['delivery_mode', 'u8'],
  ['priority', 'u8'],
  ['correlation_id', 'shortstr'],
  ['reply_to', 'shortstr'],
  ['expiration', 'shortstr'],
  ['message_id', 'shortstr'],
  ['timestamp', 'u64'],
  ['type', 'shortstr'],
  ['user_id', 'shortstr'],
  ['app_id', 'shortstr'],
  ['cluster_id', 'shortstr'],
];

function decodeProperties(r) {
  const flags = r.u16();
  const props = {};
  PROPS.forEach(([name, kind], i) => {
    if (flags & (1 << (15 - i))) {
      const v = r[kind]();
      props[name] = typeof v === 'bigint' ? v.toString() : v;
    }
  });
  return props;
}

// ---- protocol driver --------------------------------------------------------
const sock = net.connect({ host: url.hostname || '127.0.0.1', port: Number(url.port || 5672) });
let buf = Buffer.alloc(0);
let msg = null; // message being assembled
let pendingExit = null; // exit code once we have started closing
let frameMax = 131072;

function fail(code, text) {
  process.stderr.write(`error ${code} ${text}\n`);
  process.exit(1);
}

function finish(exitCode, out) {
  if (out !== undefined) process.stdout.write(`${out}\n`);
  sock.write(method(0, 10, 50, [u16(200), shortstr('OK'), u16(0), u16(0)]));
  sock.once('close', () => process.exit(exitCode));
  pendingExit = exitCode;
}

sock.on('connect', () => sock.write(Buffer.from('AMQP\x00\x00\x09\x01', 'binary')));
sock.on('error', (e) => {
  if (pendingExit !== null) process.exit(pendingExit); // e.g. reset after close-ok
  process.stderr.write(`amqp-peek: ${e.message}\n`);
  process.exit(3);
});
sock.on('close', () => {
  if (pendingExit === null) {
    process.stderr.write('amqp-peek: connection closed unexpectedly\n');
    process.exit(3);
  }
});
sock.on('data', (chunk) => {
  buf = Buffer.concat([buf, chunk]);
  while (buf.length >= 8) {
    const size = buf.readUInt32BE(3);
    if (buf.length < size + 8) break;
    const type = buf[0];
    const payload = buf.subarray(7, 7 + size);
    if (buf[7 + size] !== 0xce) {
      process.stderr.write('amqp-peek: bad frame end\n');
      process.exit(3);
    }
    buf = buf.subarray(8 + size);
    try {
      onFrame(type, payload);
    } catch (e) {
      process.stderr.write(`amqp-peek: ${e.stack}\n`);
      process.exit(3);
    }
  }
});

function onFrame(type, payload) {
  if (type === 8) return; // heartbeat
  const r = new Reader(payload);
  if (type === 2) {
    r.u16(); // class
    r.u16(); // weight
    msg.body_size = Number(r.u64());
    msg.properties = decodeProperties(r);
    msg.chunks = [];
    msg.got = 0;
    if (msg.body_size === 0) deliver();
    return;
  }
  if (type === 3) {
    msg.chunks.push(Buffer.from(payload));
    msg.got += payload.length;
    if (msg.got >= msg.body_size) deliver();
    return;
  }
  const id = `${r.u16()}.${r.u16()}`;
  switch (id) {
    case '10.10': // connection.start
      sock.write(
        method(0, 10, 11, [
          u32(0), // empty client-properties table
          shortstr('PLAIN'),
          longstr(Buffer.from(`\0${user}\0${pass}`, 'utf8')),
          shortstr('en_US'),
        ]),
      );
      break;
    case '10.30': {
      // connection.tune
      const channelMax = r.u16();
      const fm = r.u32();
      frameMax = fm === 0 ? 131072 : Math.min(fm, 131072);
      sock.write(method(0, 10, 31, [u16(channelMax), u32(frameMax), u16(0)]));
      sock.write(method(0, 10, 40, [shortstr(vhost), shortstr(''), u8(0)]));
      break;
    }
    case '10.41': // connection.open-ok
      sock.write(method(1, 20, 10, [shortstr('')]));
      break;
    case '20.11': // channel.open-ok
      if (mode === 'get') sock.write(method(1, 60, 70, [u16(0), shortstr(queue), u8(1)]));
      else if (mode === 'count') sock.write(method(1, 50, 10, [u16(0), shortstr(queue), u8(1), u32(0)])); // passive
      else if (mode === 'declare-exchange') {
        // exchange.declare: flags passive=0 durable=0 auto-delete=0 internal=0 nowait=0
        sock.write(method(1, 40, 10, [u16(0), shortstr(queue), shortstr(exchangeType), u8(0), u32(0)]));
      } else sock.write(method(1, 40, 20, [u16(0), shortstr(queue), u8(0)])); // exchange.delete
      break;
    case '40.11': // exchange.declare-ok
    case '40.21': // exchange.delete-ok
      finish(0);
      break;
    case '50.11': {
      // queue.declare-ok
      r.shortstr();
      const messages = r.u32();
      const consumers = r.u32();
      finish(0, `${messages} ${consumers}`);
      break;
    }
    case '60.71': // basic.get-ok
      msg = {
        delivery_tag: r.u64().toString(),
        redelivered: r.u8() !== 0,
        exchange: r.shortstr(),
        routing_key: r.shortstr(),
        message_count: r.u32(),
      };
      break;
    case '60.72': // basic.get-empty
      finish(2);
      break;
    case '20.40': // channel.close
    case '10.50': {
      // connection.close
      const code = r.u16();
      fail(code, r.shortstr());
      break;
    }
    case '10.51': // connection.close-ok
      sock.end();
      break;
    default:
      break;
  }
}

function deliver() {
  const body = Buffer.concat(msg.chunks);
  const out = {
    exchange: msg.exchange,
    routing_key: msg.routing_key,
    redelivered: msg.redelivered,
    message_count: msg.message_count,
    properties: msg.properties,
    body_size: body.length,
    body_sha256: crypto.createHash('sha256').update(body).digest('hex'),
  };
  finish(0, JSON.stringify(out));
}
