'use strict';
// Shared helpers for the Warren amqplib integration tests.
//
// Broker contract:
//   * WARREN_TEST_URL set (e.g. amqp://guest:guest@127.0.0.1:5673): use that
//     broker as is (never started or stopped here).
//   * otherwise spawn $WARREN_SERVER (default <repo>/build/warren-server) with
//     --port <free port> --data-dir <fresh tmp dir> --log-level info, wait
//     (deadline 10 s) for the port to accept connections, and at the end send
//     SIGTERM and require exit code 0 within 10 s (SIGKILL + failure otherwise).
//
// One broker per test file: call useBroker() at the top level of the file.

const { before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const amqp = require('amqplib');

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const START_DEADLINE_MS = 10_000;
const STOP_DEADLINE_MS = 10_000;
const LOG_TAIL_BYTES = 16 * 1024;

// Per-test timeout; every test passes { timeout: TEST_TIMEOUT } so a hang
// fails fast instead of stalling the run.
const TEST_TIMEOUT = 20_000;
const T = { timeout: TEST_TIMEOUT };

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Unique names so that tests can share a broker (including the shared
// reference RabbitMQ) without colliding.
function uniqueName(prefix) {
  return `warren-it.${prefix}.${process.pid}.${crypto.randomBytes(5).toString('hex')}`;
}

// Ports below the kernel's ephemeral range: a port from listen(0) comes from that range, where
// a client connection elsewhere in the suite can take it before the broker binds it.
const PORT_RANGE = (() => {
  let low = 32768;
  try {
    low = parseInt(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').split(/\s+/)[0], 10) || low;
  } catch (e) { /* keep the default */ }
  return { first: 10000, count: Math.max(low - 10000, 1) };
})();
let nextPort = crypto.randomInt(PORT_RANGE.count);

function tryListen(port) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

// A port nothing listens on, never the same twice in one run.
async function freePort() {
  for (let i = 0; i < PORT_RANGE.count; i++) {
    const port = PORT_RANGE.first + (nextPort++ % PORT_RANGE.count);
    if (await tryListen(port)) return port;
  }
  throw new Error('no free port below the ephemeral range');
}

function tryConnect(port) {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    const done = (ok) => {
      sock.removeAllListeners();
      sock.on('error', () => {});
      sock.destroy();
      resolve(ok);
    };
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
    sock.setTimeout(1000, () => done(false));
  });
}

class SpawnedBroker {
  // extraArgs: async () => [...] adds command-line flags (e.g. the TLS listener's).
  constructor(bin, extraArgs = async () => []) {
    this.bin = bin;
    this.extraArgs = extraArgs;
    this.logTail = '';
    this.exit = null; // { code, signal } once exited
  }

  appendLog(chunk) {
    this.logTail += chunk.toString('utf8');
    if (this.logTail.length > LOG_TAIL_BYTES) this.logTail = this.logTail.slice(-LOG_TAIL_BYTES);
    if (process.env.WARREN_TEST_VERBOSE) process.stderr.write(chunk);
  }

  describeFailure(msg) {
    return `${msg}\n--- warren-server (${this.bin}) output tail ---\n${this.logTail}\n--- end ---`;
  }

  async start() {
    if (!fs.existsSync(this.bin)) {
      throw new Error(
        `warren-server binary not found at ${this.bin}; build it, set WARREN_SERVER, or set WARREN_TEST_URL to test an external broker`,
      );
    }
    this.port = await freePort();
    this.dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'warren-it-node-'));
    const args = ['--port', String(this.port), '--data-dir', this.dataDir, '--log-level', 'info',
      ...(await this.extraArgs())];
    this.child = spawn(this.bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout.on('data', (c) => this.appendLog(c));
    this.child.stderr.on('data', (c) => this.appendLog(c));
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
    });
    this.spawnError = null;
    this.child.once('error', (e) => {
      this.spawnError = e;
    });
    // Never leave a broker behind if this process dies.
    this.onProcessExit = () => {
      if (this.exit === null) {
        try {
          this.child.kill('SIGKILL');
        } catch {}
      }
    };
    process.once('exit', this.onProcessExit);

    const deadline = Date.now() + START_DEADLINE_MS;
    for (;;) {
      if (this.spawnError) throw new Error(this.describeFailure(`failed to spawn warren-server: ${this.spawnError.message}`));
      if (this.exit !== null) {
        throw new Error(
          this.describeFailure(`warren-server exited during startup (code ${this.exit.code}, signal ${this.exit.signal})`),
        );
      }
      if (await tryConnect(this.port)) break;
      if (Date.now() > deadline) {
        this.child.kill('SIGKILL');
        throw new Error(
          this.describeFailure(`warren-server did not accept connections on port ${this.port} within ${START_DEADLINE_MS} ms`),
        );
      }
      await sleep(50);
    }
    this.url = `amqp://guest:guest@127.0.0.1:${this.port}`;
  }

  async stop() {
    process.removeListener('exit', this.onProcessExit);
    try {
      if (this.exit !== null) {
        assert.fail(
          this.describeFailure(
            `warren-server died before the end of the tests (code ${this.exit.code}, signal ${this.exit.signal})`,
          ),
        );
      }
      this.child.kill('SIGTERM');
      let timer;
      const timedOut = new Promise((resolve) => {
        timer = setTimeout(() => resolve('timeout'), STOP_DEADLINE_MS);
      });
      const result = await Promise.race([this.exited, timedOut]);
      clearTimeout(timer);
      if (result === 'timeout') {
        this.child.kill('SIGKILL');
        await this.exited;
        assert.fail(this.describeFailure(`warren-server did not exit within ${STOP_DEADLINE_MS} ms of SIGTERM; killed`));
      }
      if (result.code !== 0) {
        assert.fail(
          this.describeFailure(
            `warren-server exited with code ${result.code} (signal ${result.signal}) after SIGTERM, expected 0`,
          ),
        );
      }
      fs.rmSync(this.dataDir, { recursive: true, force: true });
    } catch (e) {
      process.stderr.write(`(data dir kept for inspection: ${this.dataDir})\n`);
      throw e;
    }
  }
}

class ExternalBroker {
  constructor(url) {
    this.url = url;
    this.external = true;
  }
  async start() {}
  async stop() {}
}

// Registers before/after hooks for the current test file and returns a
// handle whose .url is valid inside tests. options.extraArgs (async, returns an
// array) adds flags to a spawned broker.
function useBroker(options = {}) {
  const handle = { url: null, broker: null };
  before(
    async () => {
      const ext = process.env.WARREN_TEST_URL;
      const broker = ext
        ? new ExternalBroker(ext)
        : new SpawnedBroker(
            process.env.WARREN_SERVER || path.join(REPO_ROOT, 'build', 'warren-server'),
            options.extraArgs,
          );
      await broker.start();
      handle.broker = broker;
      handle.url = broker.url;
    },
    { timeout: START_DEADLINE_MS + 5000 },
  );
  after(
    async () => {
      if (handle.broker) await handle.broker.stop();
    },
    { timeout: STOP_DEADLINE_MS + 5000 },
  );
  return handle;
}

// URL with extra query parameters (e.g. heartbeat, frameMax).
function urlWith(base, params) {
  const u = new URL(base);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, String(v));
  return u.toString();
}

// Per-test context: tracks connections, queues and exchanges and cleans them
// up when the test ends (pass or fail).
class Ctx {
  constructor(handle, t) {
    this.handle = handle;
    this.conns = [];
    this.queues = new Set();
    this.exchanges = new Set();
    t.after(() => this.cleanup());
  }

  get url() {
    return this.handle.url;
  }

  async connect(url = this.url, socketOptions) {
    const conn = await amqp.connect(url, socketOptions);
    conn.on('error', () => {}); // errors are asserted explicitly
    this.conns.push(conn);
    return conn;
  }

  // Opens a channel on `conn` (or a fresh connection). Server-initiated
  // channel errors are asserted through rejections / waitClose(), so the
  // 'error' event gets a no-op listener.
  async channel(conn, confirm = false) {
    if (!conn) conn = this.conns[0] || (await this.connect());
    const ch = confirm ? await conn.createConfirmChannel() : await conn.createChannel();
    ch.on('error', () => {});
    return ch;
  }

  queueName(prefix = 'q') {
    const n = uniqueName(prefix);
    this.queues.add(n);
    return n;
  }

  exchangeName(prefix = 'x') {
    const n = uniqueName(prefix);
    this.exchanges.add(n);
    return n;
  }

  trackQueue(n) {
    this.queues.add(n);
    return n;
  }

  async cleanup() {
    for (const c of this.conns) {
      try {
        await c.close();
      } catch {}
    }
    this.conns = [];
    if (this.queues.size === 0 && this.exchanges.size === 0) return;
    let conn;
    try {
      conn = await amqp.connect(this.url);
      conn.on('error', () => {});
      let ch = null;
      const fresh = async () => {
        ch = await conn.createChannel();
        ch.on('error', () => {});
      };
      await fresh();
      for (const q of this.queues) {
        try {
          await ch.deleteQueue(q);
        } catch {
          await fresh();
        }
      }
      for (const x of this.exchanges) {
        try {
          await ch.deleteExchange(x);
        } catch {
          await fresh();
        }
      }
    } catch {
      // best effort
    } finally {
      if (conn) {
        try {
          await conn.close();
        } catch {}
      }
    }
  }
}

// Resolves with the error passed to a channel's 'error' event, or rejects
// after `ms`. Attach before triggering the error.
function nextChannelError(ch, ms = 5000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no channel error within ${ms} ms`)), ms);
    ch.once('error', (e) => {
      clearTimeout(timer);
      resolve(e);
    });
  });
}

function nextEvent(emitter, name, ms = 5000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no '${name}' event within ${ms} ms`)), ms);
    emitter.once(name, (...args) => {
      clearTimeout(timer);
      resolve(args);
    });
  });
}

// Resolves/rejects like `promise`, or rejects with `what` after `ms`; the
// timer is cleared either way so it never holds the process open.
function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// Consumes from `queue` until `n` messages arrived; resolves with them and
// then cancels the consumer (unless keep is true). Rejects if the channel
// closes or the consumer is cancelled by the server first.
async function consumeN(ch, queue, n, options = {}, keep = false) {
  const msgs = [];
  let resolveDone;
  let rejectDone;
  const done = new Promise((res, rej) => {
    resolveDone = res;
    rejectDone = rej;
  });
  const onClose = () => rejectDone(new Error(`channel closed after ${msgs.length}/${n} messages`));
  ch.once('close', onClose);
  const { consumerTag } = await ch.consume(
    queue,
    (m) => {
      if (m === null) {
        rejectDone(new Error(`consumer cancelled by server after ${msgs.length}/${n} messages`));
        return;
      }
      msgs.push(m);
      if (msgs.length === n) resolveDone();
    },
    options,
  );
  if (n === 0) resolveDone();
  try {
    await done;
  } finally {
    ch.removeListener('close', onClose);
  }
  if (!keep) await ch.cancel(consumerTag);
  return { msgs, consumerTag };
}

// Polls basic.get until a message arrives (or the deadline passes).
async function getWithin(ch, queue, options = {}, ms = 5000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const m = await ch.get(queue, options);
    if (m !== false) return m;
    if (Date.now() > deadline) return false;
    await sleep(10);
  }
}

// Waits until checkQueue(queue).messageCount === count.
async function waitForCount(ch, queue, count, ms = 5000) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    last = await ch.checkQueue(queue);
    if (last.messageCount === count) return last;
    if (Date.now() > deadline) {
      assert.fail(`queue ${queue}: expected messageCount ${count}, still ${last.messageCount} after ${ms} ms`);
    }
    await sleep(10);
  }
}

// Polls (fresh channel each time, since a 404 closes the channel) until the
// queue or exchange `name` no longer exists; returns the final 404 error.
async function waitGone(ctx, kind, name, ms = 5000) {
  const conn = await ctx.connect();
  const deadline = Date.now() + ms;
  for (;;) {
    const ch = await conn.createChannel();
    ch.on('error', () => {});
    try {
      if (kind === 'queue') await ch.checkQueue(name);
      else await ch.checkExchange(name);
    } catch (e) {
      if (e.code === 404) return e;
      throw e;
    }
    await ch.close();
    if (Date.now() > deadline) assert.fail(`${kind} '${name}' still exists after ${ms} ms`);
    await sleep(25);
  }
}

// Asserts that `promise` rejects with the exact amqplib message produced
// for a server channel.close in reply to `method` (e.g. 'QueueDeclare').
async function rejectsWith(promise, code, method, replyText) {
  const codeName = {
    403: 'ACCESS-REFUSED',
    404: 'NOT-FOUND',
    405: 'RESOURCE-LOCKED',
    406: 'PRECONDITION-FAILED',
    530: 'NOT-ALLOWED',
    503: 'COMMAND-INVALID',
  }[code];
  await assert.rejects(promise, (e) => {
    assert.equal(e.message, `Operation failed: ${method}; ${code} (${codeName}) with message "${replyText}"`);
    assert.equal(e.code, code);
    return true;
  });
}

function channelClosedText(code, replyText) {
  const codeName = {
    403: 'ACCESS-REFUSED',
    404: 'NOT-FOUND',
    405: 'RESOURCE-LOCKED',
    406: 'PRECONDITION-FAILED',
  }[code];
  return `Channel closed by server: ${code} (${codeName}) with message "${replyText}"`;
}

module.exports = {
  T,
  freePort,
  tryConnect,
  TEST_TIMEOUT,
  Ctx,
  useBroker,
  uniqueName,
  urlWith,
  sleep,
  nextChannelError,
  nextEvent,
  withTimeout,
  consumeN,
  getWithin,
  waitForCount,
  waitGone,
  rejectsWith,
  channelClosedText,
};
