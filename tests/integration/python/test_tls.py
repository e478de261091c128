"""The amqps (TLS) listener: pika with server verification, client certificates, clients
that speak the wrong protocol on either port, big and pipelined messages over TLS, and the
handshake timeout. Certificates are made with the openssl CLI (tls_certs.py)."""
import hashlib
import os
import re
import socket
import ssl
import time

import pika
import pytest

from conftest import _tmpdir, free_port, port_open, requires_own_broker, start_warren
from support import LOGIN_REFUSED, uname
from tls_certs import Certs

pytestmark = requires_own_broker


@pytest.fixture(scope="module")
def certs():
    return Certs(_tmpdir("warren-certs-"))


def start_tls_broker(certs, *extra):
    tls_port = free_port()
    b = start_warren("warren-tls-", ["--tls-port", str(tls_port), "--tls-cert",
                                     str(certs.server_cert), "--tls-key", str(certs.server_key),
                                     "--tls-ca-cert", str(certs.ca), *extra])
    deadline = time.monotonic() + 10
    while not port_open("127.0.0.1", tls_port):
        assert time.monotonic() < deadline, "TLS port %d never opened" % tls_port
        time.sleep(0.05)
    b.tls_port = tls_port
    return b


@pytest.fixture(scope="module")
def tls_broker(certs):
    b = start_tls_broker(certs)
    yield b
    b.process.stop_and_clean()


def tls_context(ca, cert=None, key=None):
    ctx = ssl.create_default_context(cafile=str(ca))
    if cert:
        ctx.load_cert_chain(str(cert), str(key))
    return ctx


def tls_params(b, ca, cert=None, key=None, password="guest", **kw):
    return pika.ConnectionParameters(
        host="127.0.0.1", port=b.tls_port,
        ssl_options=pika.SSLOptions(tls_context(ca, cert, key), "localhost"),
        credentials=pika.PlainCredentials("guest", password), socket_timeout=5,
        stack_timeout=10, blocked_connection_timeout=10, connection_attempts=1, **kw)


def tls_connect(b, certs, **kw):
    return pika.BlockingConnection(tls_params(b, certs.ca, **kw))


def broker_log(b):
    return b.process.log_path.read_text(errors="replace")


def wait_for_log(b, pattern, timeout=5.0):
    deadline = time.monotonic() + timeout
    while True:
        m = re.search(pattern, broker_log(b))
        if m:
            return m
        assert time.monotonic() < deadline, "no log line matching %r\n%s" % (
            pattern, b.process.log_tail())
        time.sleep(0.05)


def read_until_closed(sock, timeout=5.0):
    """Everything the broker sends until it closes; fails if it does not close in time."""
    sock.settimeout(timeout)
    deadline = time.monotonic() + timeout
    data = b""
    while True:
        assert time.monotonic() < deadline, "the broker did not close the socket"
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return data
        if not chunk:
            return data
        data += chunk


def round_trip(conn, body=b"hello over tls"):
    ch = conn.channel()
    ch.confirm_delivery()
    q = ch.queue_declare("", exclusive=True).method.queue
    ch.basic_publish("", q, body, pika.BasicProperties(content_type="text/plain",
                                                       headers={"k": "v"}))
    method, props, got = ch.basic_get(q, auto_ack=True)
    assert method is not None and got == body
    assert props.content_type == "text/plain" and props.headers == {"k": "v"}


def assert_healthy(b, certs):
    """New plain and TLS connections still work."""
    conn = b.connect()
    round_trip(conn, b"plain still works")
    conn.close()
    conn = tls_connect(b, certs)
    round_trip(conn, b"tls still works")
    conn.close()


# ---------------------------------------------------------------------------

def test_pika_over_tls_with_server_verification(tls_broker, certs):
    conn = tls_connect(tls_broker, certs)
    sock = conn._impl._transport._sock
    assert isinstance(sock, ssl.SSLSocket) and sock.version() in ("TLSv1.2", "TLSv1.3")
    assert sock.getpeercert()["subject"] == ((("commonName", "localhost"),),)
    round_trip(conn)
    # A consumer too, not only basic.get.
    ch = conn.channel()
    q = ch.queue_declare("", exclusive=True).method.queue
    for i in range(10):
        ch.basic_publish("", q, b"m%d" % i)
    got = []
    for method, _, body in ch.consume(q, inactivity_timeout=5):
        assert method is not None, "consumer stalled after %d messages" % len(got)
        got.append(body)
        ch.basic_ack(method.delivery_tag)
        if len(got) == 10:
            break
    ch.cancel()
    assert got == [b"m%d" % i for i in range(10)]
    conn.close()


def test_server_connection_close_arrives_over_tls(tls_broker, certs):
    with pytest.raises(pika.exceptions.ProbableAuthenticationError) as refused:
        tls_connect(tls_broker, certs, password="wrong")
    assert LOGIN_REFUSED in str(refused.value)
    wait_for_log(tls_broker, r"login failed for user 'guest' from 127\.0\.0\.1:\d+: "
                             r"invalid credentials")


def test_wrong_ca_makes_the_client_fail(tls_broker, certs):
    with pytest.raises(ssl.SSLCertVerificationError):  # pika re-raises the handshake's error
        pika.BlockingConnection(tls_params(tls_broker, certs.other_ca))
    wait_for_log(tls_broker, r"TLS handshake with 127\.0\.0\.1:\d+ failed: .*unknown ca")
    assert_healthy(tls_broker, certs)


def test_plain_amqp_client_on_the_tls_port_is_refused_cleanly(tls_broker, certs):
    bystander = tls_connect(tls_broker, certs)
    with socket.create_connection(("127.0.0.1", tls_broker.tls_port), timeout=5) as s:
        start = time.monotonic()
        s.sendall(b"AMQP\x00\x00\x09\x01")
        data = read_until_closed(s)
        assert time.monotonic() - start < 3, "closed at once, not by the handshake timeout"
    assert not data.startswith(b"AMQP") and not data.startswith(b"\x01"), \
        "no AMQP bytes on the TLS port: %r" % data[:16]
    assert data == b"" or data[0] == 0x15, "nothing, or a TLS alert: %r" % data[:16]
    wait_for_log(tls_broker, r"TLS handshake with 127\.0\.0\.1:\d+ failed")
    round_trip(bystander, b"an open TLS connection is unaffected")
    bystander.close()
    assert_healthy(tls_broker, certs)


def test_tls_client_on_the_plain_port_is_refused_cleanly(tls_broker, certs):
    with socket.create_connection(("127.0.0.1", tls_broker.port), timeout=5) as raw:
        with pytest.raises((ssl.SSLError, ConnectionError)):
            tls_context(certs.ca).wrap_socket(raw, server_hostname="localhost")
    with pytest.raises(ssl.SSLError):
        pika.BlockingConnection(pika.ConnectionParameters(
            host="127.0.0.1", port=tls_broker.port, socket_timeout=5, stack_timeout=10,
            connection_attempts=1,
            ssl_options=pika.SSLOptions(tls_context(certs.ca), "localhost")))
    assert_healthy(tls_broker, certs)


def test_big_messages_arrive_intact(tls_broker, certs):
    conn = tls_connect(tls_broker, certs)
    ch = conn.channel()
    ch.confirm_delivery()
    q = ch.queue_declare("", exclusive=True).method.queue
    bodies = [os.urandom(n) for n in (3 * 1024 * 1024, 8 * 1024 * 1024 + 17, 16385, 1)]
    for body in bodies:
        ch.basic_publish("", q, body)
    got = []
    for method, _, body in ch.consume(q, auto_ack=True, inactivity_timeout=20):
        assert method is not None, "stalled after %d messages" % len(got)
        got.append(body)
        if len(got) == len(bodies):
            break
    ch.cancel()
    assert [hashlib.sha256(b).hexdigest() for b in got] == \
        [hashlib.sha256(b).hexdigest() for b in bodies]
    conn.close()


def test_many_pipelined_messages(tls_broker, certs):
    total = 5000
    conn = tls_connect(tls_broker, certs)
    ch = conn.channel()
    q = ch.queue_declare("", exclusive=True).method.queue
    bodies = [(b"%05d-" % i) + os.urandom(i % 3000) for i in range(total)]
    for body in bodies:  # no confirms: everything is pipelined
        ch.basic_publish("", q, body)
    ch.basic_qos(prefetch_count=1000)
    got = []
    for method, _, body in ch.consume(q, inactivity_timeout=10):
        assert method is not None, "stalled after %d messages" % len(got)
        got.append(body)
        if len(got) % 100 == 0 or len(got) == total:
            ch.basic_ack(method.delivery_tag, multiple=True)
        if len(got) == total:
            break
    ch.cancel()
    assert got == bodies
    assert ch.queue_declare(q, passive=True).method.message_count == 0
    conn.close()


def test_many_tls_connections_at_once(tls_broker, certs):
    conns = [tls_connect(tls_broker, certs) for _ in range(20)]
    for i, c in enumerate(conns):
        round_trip(c, b"conn %d" % i)
    for c in conns:
        c.close()


# ---------------------------------------------------------------------------
# Client certificates and the handshake timeout: brokers of their own

@pytest.fixture
def own_tls_broker(certs):
    brokers = []

    def _start(*extra):
        b = start_tls_broker(certs, *extra)
        brokers.append(b)
        return b
    yield _start
    for b in brokers:
        b.process.stop_and_clean()


def test_client_certificate_required(own_tls_broker, certs):
    b = own_tls_broker("--tls-verify", "verify_peer", "--tls-fail-if-no-peer-cert")
    with pytest.raises(pika.exceptions.AMQPConnectionError):
        conn = tls_connect(b, certs)
        conn.channel()  # TLS 1.3: the refusal may arrive just after the client's handshake
    wait_for_log(b, r"TLS handshake with 127\.0\.0\.1:\d+ failed: .*peer did not return a "
                    r"certificate")
    with pytest.raises(pika.exceptions.AMQPConnectionError):
        conn = tls_connect(b, certs, cert=certs.stranger_cert, key=certs.stranger_key)
        conn.channel()
    wait_for_log(b, r"failed: .*\(certificate: unable to get local issuer certificate\)")
    conn = tls_connect(b, certs, cert=certs.client_cert, key=certs.client_key)
    round_trip(conn, b"with a client certificate")
    conn.close()


def test_verify_peer_without_fail_if_no_peer_cert_accepts_clients_without_one(
        own_tls_broker, certs):
    b = own_tls_broker("--tls-verify", "verify_peer")
    conn = tls_connect(b, certs)
    round_trip(conn)
    conn.close()
    conn = tls_connect(b, certs, cert=certs.client_cert, key=certs.client_key)
    round_trip(conn)
    conn.close()
    with pytest.raises(pika.exceptions.AMQPConnectionError):
        conn = tls_connect(b, certs, cert=certs.stranger_cert, key=certs.stranger_key)
        conn.channel()


def test_tls_handshake_is_subject_to_the_handshake_timeout(own_tls_broker, certs):
    b = own_tls_broker("--handshake-timeout", "500")
    with socket.create_connection(("127.0.0.1", b.tls_port), timeout=5) as s:
        start = time.monotonic()
        assert read_until_closed(s) == b"", "a silent client gets nothing and is dropped"
        assert time.monotonic() - start < 3
    with socket.create_connection(("127.0.0.1", b.tls_port), timeout=5) as s:
        start = time.monotonic()
        s.sendall(b"\x16\x03\x01\x02\x00\x01")  # a ClientHello that never finishes
        read_until_closed(s)
        assert time.monotonic() - start < 3
    assert_healthy(b, certs)


def test_ssl_handshake_timeout_limits_only_the_tls_handshake(own_tls_broker, certs):
    b = own_tls_broker("--tls-handshake-timeout", "500")  # handshake_timeout stays 10 s
    with socket.create_connection(("127.0.0.1", b.tls_port), timeout=5) as s:
        start = time.monotonic()
        assert read_until_closed(s) == b""
        assert time.monotonic() - start < 3
    wait_for_log(b, r"127\.0\.0\.1:\d+: TLS handshake timeout, closing")
    with socket.create_connection(("127.0.0.1", b.port), timeout=5) as s:
        s.settimeout(1.5)
        with pytest.raises(socket.timeout):
            s.recv(1)  # a silent plain client still has its 10 s
    conn = tls_connect(b, certs)  # a TLS client that completes its handshake stays
    time.sleep(1.0)
    round_trip(conn)
    conn.close()


def test_bad_certificate_file_stops_the_broker(tmp_path, certs):
    import subprocess
    from conftest import WARREN_SERVER
    out = subprocess.run([WARREN_SERVER, "--port", str(free_port()), "--data-dir",
                          str(tmp_path / "d"), "--tls-port", str(free_port()), "--tls-cert",
                          str(tmp_path / "missing.pem"), "--tls-key", str(certs.server_key)],
                         capture_output=True, text=True, timeout=10)
    assert out.returncode != 0
    assert "cannot load the TLS certificate '%s'" % (tmp_path / "missing.pem") in out.stderr
    out = subprocess.run([WARREN_SERVER, "--port", str(free_port()), "--data-dir",
                          str(tmp_path / "d"), "--tls-port", str(free_port()), "--tls-cert",
                          str(certs.server_cert), "--tls-key", str(certs.client_key)],
                         capture_output=True, text=True, timeout=10)
    assert out.returncode != 0
    assert "cannot load the TLS private key '%s'" % certs.client_key in out.stderr
    assert "key values mismatch" in out.stderr


def test_tls_from_the_config_file(tmp_path, certs):
    from test_config_file import ConfiguredWarren
    tls_port = free_port()
    proc = ConfiguredWarren(
        "listeners.ssl.default = %d\n"
        "ssl_options.cacertfile = %s\n"
        "ssl_options.certfile = %s\n"
        "ssl_options.keyfile = %s\n"
        "ssl_options.verify = verify_peer\n"
        "ssl_options.fail_if_no_peer_cert = true\n"
        % (tls_port, certs.ca, certs.server_cert, certs.server_key)).start()
    try:
        deadline = time.monotonic() + 10
        while not port_open("127.0.0.1", tls_port):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        proc.tls_port = tls_port
        with pytest.raises(pika.exceptions.AMQPConnectionError):
            conn = tls_connect(proc, certs)
            conn.channel()
        conn = tls_connect(proc, certs, cert=certs.client_cert, key=certs.client_key)
        round_trip(conn, uname("via-config").encode())
        conn.close()
    finally:
        proc.stop_and_clean()
