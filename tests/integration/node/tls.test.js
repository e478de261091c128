'use strict';
// amqplib over amqps: the broker gets a TLS listener with certificates made here by the
// openssl CLI (the same recipe as tests/integration/python/tls_certs.py).
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const amqp = require('amqplib');
const { T, useBroker, freePort, tryConnect, consumeN, sleep, withTimeout } = require('./helpers');

const external = Boolean(process.env.WARREN_TEST_URL);
const skip = external ? 'needs a spawned Warren with a TLS listener' : false;

const LEAF_EXT = [
  'basicConstraints = critical, CA:FALSE',
  'keyUsage = critical, digitalSignature, keyEncipherment',
  'subjectKeyIdentifier = hash',
  'authorityKeyIdentifier = keyid',
].join('\n');

function openssl(dir, ...args) {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 });
}

function makeKey(dir, name) {
  openssl(dir, 'genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`);
}

function makeCa(dir, name) {
  makeKey(dir, name);
  openssl(dir, 'req', '-x509', '-new', '-key', `${name}.key`, '-out', `${name}.pem`, '-days', '2',
    '-subj', `/CN=Warren test CA ${name}`, '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
}

function makeLeaf(dir, name, ca, cn, usage, san) {
  makeKey(dir, name);
  openssl(dir, 'req', '-new', '-key', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
  let ext = `${LEAF_EXT}\nextendedKeyUsage = ${usage}\n`;
  if (san) ext += `subjectAltName = ${san}\n`;
  fs.writeFileSync(path.join(dir, `${name}.ext`), ext);
  openssl(dir, 'x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`,
    '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`);
}

const tls = { dir: null, port: null };

const broker = useBroker({
  extraArgs: async () => {
    tls.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'warren-it-node-certs-'));
    makeCa(tls.dir, 'ca');
    makeCa(tls.dir, 'other');
    makeLeaf(tls.dir, 'server', 'ca', 'localhost', 'serverAuth', 'DNS:localhost,IP:127.0.0.1');
    tls.port = await freePort();
    return ['--tls-port', String(tls.port), '--tls-cert', path.join(tls.dir, 'server.pem'),
      '--tls-key', path.join(tls.dir, 'server.key'), '--tls-ca-cert', path.join(tls.dir, 'ca.pem')];
  },
});

// The spawned broker's plain port is open once the tests start; its TLS port is waited
// for here, once.
let tlsReady = null;
function waitForTlsPort() {
  tlsReady ??= (async () => {
    const deadline = Date.now() + 10_000;
    while (!(await tryConnect(tls.port))) {
      if (Date.now() > deadline) throw new Error(`TLS port ${tls.port} never opened`);
      await sleep(50);
    }
  })();
  return tlsReady;
}

function ca(name = 'ca') {
  return [fs.readFileSync(path.join(tls.dir, `${name}.pem`))];
}

function amqpsUrl(host = 'localhost') {
  return `amqps://guest:guest@${host}:${tls.port}`;
}

async function connectTls(options = {}, url = amqpsUrl()) {
  await waitForTlsPort();
  const conn = await amqp.connect(url, { ca: ca(), ...options });
  conn.on('error', () => {});
  return conn;
}

test('amqps with the CA: publish and consume', { ...T, skip }, async () => {
  const conn = await connectTls();
  try {
    const ch = await conn.createConfirmChannel();
    const { queue } = await ch.assertQueue('', { exclusive: true });
    for (let i = 0; i < 20; i++) ch.sendToQueue(queue, Buffer.from(`msg ${i}`), { contentType: 'text/plain' });
    await ch.waitForConfirms();
    const { msgs } = await withTimeout(consumeN(ch, queue, 20, { noAck: true }), 10_000, 'consume');
    assert.deepEqual(msgs.map((m) => m.content.toString()), Array.from({ length: 20 }, (_, i) => `msg ${i}`));
    assert.equal(msgs[0].properties.contentType, 'text/plain');
  } finally {
    await conn.close();
  }
});

test('amqps with an unrelated CA is refused by the client', { ...T, skip }, async () => {
  await waitForTlsPort();
  await assert.rejects(amqp.connect(amqpsUrl(), { ca: ca('other') }), (e) => {
    assert.match(String(e.code || e.message), /CERT|ISSUER|VERIFY/i);
    return true;
  });
});

test('amqps to a name the certificate does not carry is refused', { ...T, skip }, async () => {
  await waitForTlsPort();
  await assert.rejects(amqp.connect(amqpsUrl('127.0.0.1'), { ca: ca(), servername: 'not-localhost' }), (e) => {
    assert.equal(e.code, 'ERR_TLS_CERT_ALTNAME_INVALID');
    return true;
  });
});

test('a 5 MB message and 2000 pipelined ones arrive intact over amqps', { ...T, skip }, async () => {
  const conn = await connectTls();
  try {
    const ch = await conn.createConfirmChannel();
    const { queue } = await ch.assertQueue('', { exclusive: true });
    const big = crypto.randomBytes(5 * 1024 * 1024 + 3);
    ch.sendToQueue(queue, big);
    const small = Array.from({ length: 2000 }, (_, i) => Buffer.concat([Buffer.from(`${i}:`), crypto.randomBytes(i % 1500)]));
    for (const b of small) ch.sendToQueue(queue, b);
    await ch.waitForConfirms();
    const { msgs } = await withTimeout(consumeN(ch, queue, 2001, { noAck: true }), 15_000, 'consume');
    assert.equal(crypto.createHash('sha256').update(msgs[0].content).digest('hex'),
      crypto.createHash('sha256').update(big).digest('hex'));
    for (let i = 0; i < small.length; i++) assert.ok(msgs[i + 1].content.equals(small[i]), `message ${i}`);
  } finally {
    await conn.close();
  }
});

test('a plain amqp:// client on the TLS port fails and the broker carries on', { ...T, skip }, async () => {
  await waitForTlsPort();
  await assert.rejects(amqp.connect(`amqp://guest:guest@127.0.0.1:${tls.port}`, { timeout: 5000 }));
  const plain = await amqp.connect(broker.url);
  plain.on('error', () => {});
  await plain.close();
  const conn = await connectTls();
  await conn.close();
});
