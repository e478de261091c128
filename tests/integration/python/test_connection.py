"""Connection handshake, negotiation, authentication and heartbeats."""
import time

import pika
import pika.exceptions
import pytest
from pika import spec
from pika.data import encode_table

from support import LOGIN_REFUSED, PROTOCOL_HEADER, PeerClosed, uname

EXPECTED_CAPABILITIES = {
    "authentication_failure_close": True,
    "basic.nack": True,
    "connection.blocked": True,
    "consumer_cancel_notify": True,
    "consumer_priorities": True,
    "direct_reply_to": True,
    "exchange_exchange_bindings": True,
    "per_consumer_qos": True,
    "publisher_confirms": True,
}


def _start_ok(c, mechanism="PLAIN", response=b"\x00guest\x00guest", capabilities=None):
    props = {"product": "raw"}
    if capabilities is not None:
        props["capabilities"] = capabilities
    c.send_method(0, spec.Connection.StartOk(client_properties=props, mechanism=mechanism,
                                             response=response, locale="en_US"))


def _frames_until_close(c, timeout=10.0):
    """Collect all frames until the peer closes the socket; fail if it does not."""
    frames = []
    deadline = time.monotonic() + timeout
    try:
        while True:
            frames.append(c.recv_frame(timeout=max(0.01, deadline - time.monotonic())))
    except PeerClosed:
        return frames
    except TimeoutError:
        raise AssertionError("broker did not close the socket within %.0fs (frames: %r)" % (timeout, frames))


# ---------------------------------------------------------------------------
# connection.start / connection.tune
# ---------------------------------------------------------------------------

def test_connection_start_fields(raw):
    c = raw()
    c.send(PROTOCOL_HEADER)
    start = c.expect(spec.Connection.Start).method
    assert (start.version_major, start.version_minor) == (0, 9)
    assert start.mechanisms == b"PLAIN AMQPLAIN"
    assert start.locales == b"en_US"
    props = start.server_properties
    for key in ("product", "version", "platform", "copyright", "information", "cluster_name"):
        assert isinstance(props.get(key), str) and props[key], "server property %r missing" % key
    assert props["capabilities"] == EXPECTED_CAPABILITIES


def test_connection_tune_proposal(raw):
    c = raw()
    c.send(PROTOCOL_HEADER)
    c.expect(spec.Connection.Start)
    _start_ok(c)
    tune = c.expect(spec.Connection.Tune).method
    assert (tune.channel_max, tune.frame_max, tune.heartbeat) == (2047, 131072, 60)


def test_full_handshake_and_client_close(raw):
    c = raw()
    c.handshake()
    c.send_method(0, spec.Connection.Close(reply_code=200, reply_text="bye", class_id=0, method_id=0))
    frm = c.expect(spec.Connection.CloseOk)
    assert frm.channel_number == 0
    # (RabbitMQ leaves closing the TCP socket to the client after close-ok.)


@pytest.mark.parametrize("frame_max,channel_max,heartbeat", [
    (4096, 2047, 0),          # smallest frame_max allowed
    (131072, 1, 0),
    (65536, 100, 10),
    (131072, 2047, 5000),     # a heartbeat larger than proposed is accepted
])
def test_client_tune_values_accepted(raw, frame_max, channel_max, heartbeat):
    c = raw()
    c.handshake(frame_max=frame_max, channel_max=channel_max, heartbeat=heartbeat)
    c.open_channel(1)
    c.send_method(1, spec.Queue.Declare(queue="", exclusive=True))
    c.expect(spec.Queue.DeclareOk)


def test_amqplain_login(raw):
    c = raw()
    c.send(PROTOCOL_HEADER)
    c.expect(spec.Connection.Start)
    pieces = []
    encode_table(pieces, {"LOGIN": "guest", "PASSWORD": "guest"})
    _start_ok(c, mechanism="AMQPLAIN", response=b"".join(pieces)[4:])  # table body without length
    tune = c.expect(spec.Connection.Tune).method
    c.send_method(0, spec.Connection.TuneOk(channel_max=tune.channel_max, frame_max=tune.frame_max, heartbeat=0))
    c.send_method(0, spec.Connection.Open(virtual_host="/"))
    c.expect(spec.Connection.OpenOk)


def test_pika_connect_and_close(broker):
    conn = broker.connect()
    assert conn.is_open
    ch = conn.channel()
    assert ch.is_open
    conn.close()
    assert conn.is_closed


# ---------------------------------------------------------------------------
# Wrong protocol header
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("header", [
    b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n",
    b"AMQP\x01\x01\x00\x0a",     # AMQP 0-10
    b"AMQP\x00\x01\x00\x00",     # AMQP 1.0
    b"AMQP\x03\x01\x00\x00",     # AMQP 1.0 SASL layer
    b"AMQP\x00\x00\x09\x02",     # unknown 0-9 revision
], ids=["http", "amqp0-10", "amqp1.0", "amqp1.0-sasl", "amqp0-9-2"])
def test_wrong_protocol_header(raw, header):
    """The broker answers with the protocol header it supports and closes."""
    c = raw()
    c.send(header)
    assert c.read_until_close(timeout=5) == b"AMQP\x00\x00\x09\x01"


# ---------------------------------------------------------------------------
# Authentication / vhost
# ---------------------------------------------------------------------------

def test_login_failure_with_authentication_failure_close(raw):
    c = raw()
    c.send(PROTOCOL_HEADER)
    c.expect(spec.Connection.Start)
    _start_ok(c, response=b"\x00guest\x00wrong-password",
              capabilities={"authentication_failure_close": True})
    code, text, class_id, method_id = c.expect_close(timeout=10)
    assert (code, text) == (403, LOGIN_REFUSED)
    assert (class_id, method_id) == (0, 0)


def test_login_failure_with_pika(broker):
    with pytest.raises(pika.exceptions.ProbableAuthenticationError) as info:
        broker.connect(password="definitely-wrong")
    assert "(403) %r" % LOGIN_REFUSED in str(info.value)


def test_unknown_user_is_the_same_login_failure(raw):
    c = raw()
    c.send(PROTOCOL_HEADER)
    c.expect(spec.Connection.Start)
    _start_ok(c, response=b"\x00" + uname("nobody").encode() + b"\x00pw",
              capabilities={"authentication_failure_close": True})
    assert c.expect_close(timeout=10)[:2] == (403, LOGIN_REFUSED)


def test_missing_vhost(raw):
    vhost = uname("no-such-vhost")
    c = raw()
    with pytest.raises(AssertionError, match="expected Connection.OpenOk"):
        c.handshake(vhost=vhost)
    frm = c.frames[-1].method
    assert isinstance(frm, spec.Connection.Close)
    assert (frm.reply_code, frm.reply_text) == (530, "NOT_ALLOWED - vhost %s not found" % vhost)
    assert (frm.class_id, frm.method_id) == (10, 40)


def test_handshake_errors_close_the_socket_silently(raw):
    """Errors before connection.open-ok (other than a login failure with the
    authentication_failure_close capability) produce no connection.close at
    all: RabbitMQ 3.10 waits ~3 s and then just closes the TCP socket.

    All cases are started first and then waited for together to keep the run short."""
    cases = {}

    def up_to_tune(c):
        c.send(PROTOCOL_HEADER)
        c.expect(spec.Connection.Start)
        _start_ok(c)
        return c.expect(spec.Connection.Tune).method

    def tune_ok(frame_max, channel_max):
        def run(c):
            up_to_tune(c)
            c.send_method(0, spec.Connection.TuneOk(channel_max=channel_max, frame_max=frame_max, heartbeat=0))
            c.send_method(0, spec.Connection.Open(virtual_host="/"))
        return run

    def bad_login_without_capability(c):
        c.send(PROTOCOL_HEADER)
        c.expect(spec.Connection.Start)
        _start_ok(c, response=b"\x00guest\x00wrong", capabilities={})

    def unknown_mechanism(c):
        c.send(PROTOCOL_HEADER)
        c.expect(spec.Connection.Start)
        _start_ok(c, mechanism="FOO", response=b"x", capabilities={"authentication_failure_close": True})

    def garbage_plain_response(c):
        c.send(PROTOCOL_HEADER)
        c.expect(spec.Connection.Start)
        _start_ok(c, response=b"garbage", capabilities={"authentication_failure_close": True})

    def open_before_tune_ok(c):
        up_to_tune(c)
        c.send_method(0, spec.Connection.Open(virtual_host="/"))

    def channel_open_before_start_ok(c):
        c.send(PROTOCOL_HEADER)
        c.expect(spec.Connection.Start)
        c.send_method(1, spec.Channel.Open())

    steps = {
        "frame_max below 4096": tune_ok(1000, 2047),
        "frame_max 0 (unlimited > 131072)": tune_ok(0, 2047),
        "frame_max above 131072": tune_ok(200000, 2047),
        "channel_max 0 (unlimited > 2047)": tune_ok(131072, 0),
        "channel_max above 2047": tune_ok(131072, 5000),
        "bad password without capability": bad_login_without_capability,
        "unknown mechanism": unknown_mechanism,
        "malformed PLAIN response": garbage_plain_response,
        "connection.open before tune-ok": open_before_tune_ok,
        "channel.open before start-ok": channel_open_before_start_ok,
    }
    for name, step in steps.items():
        c = raw(timeout=10)
        step(c)
        cases[name] = c
    failures = []
    for name, c in cases.items():
        try:
            frames = _frames_until_close(c, timeout=10)
        except AssertionError as exc:
            failures.append("%s: %s" % (name, exc))
            continue
        if frames:
            failures.append("%s: expected a silent close, got %r" % (name, frames))
    assert not failures, "\n".join(failures)


def test_channel_open_before_connection_open(raw):
    # Unlike the cases above, this one gets a connection.close (and the broker
    # then waits for close-ok).
    c = raw()
    c.send(PROTOCOL_HEADER)
    c.expect(spec.Connection.Start)
    _start_ok(c)
    tune = c.expect(spec.Connection.Tune).method
    c.send_method(0, spec.Connection.TuneOk(channel_max=tune.channel_max, frame_max=tune.frame_max, heartbeat=0))
    c.send_method(1, spec.Channel.Open())
    assert c.expect_close() == (505, "UNEXPECTED_FRAME - type 1, all octets = <<0,20,0,10,0>>", 0, 0)
    assert c.wait_peer_close(5) < 5


# ---------------------------------------------------------------------------
# Heartbeats
# ---------------------------------------------------------------------------

def test_broker_closes_silent_client_after_missed_heartbeats(raw):
    c = raw(timeout=15)
    c.handshake(heartbeat=1)
    t0 = time.monotonic()
    frames = _frames_until_close(c, timeout=12)
    elapsed = time.monotonic() - t0
    # RabbitMQ 3.10 closes the socket ~3 s after the last client traffic with
    # heartbeat=1, without sending connection.close.
    assert 1.0 <= elapsed <= 10.0, elapsed
    assert all(f.frame_type == spec.FRAME_HEARTBEAT for f in frames), frames


def test_broker_sends_heartbeats(raw):
    c = raw()
    c.handshake(heartbeat=1)
    received = 0
    t0 = time.monotonic()
    last_sent = 0.0
    while time.monotonic() - t0 < 3.5:
        if time.monotonic() - last_sent >= 0.4:
            c.send_heartbeat()
            last_sent = time.monotonic()
        try:
            frm = c.recv_frame(timeout=0.1)
        except TimeoutError:
            continue
        assert frm.frame_type == spec.FRAME_HEARTBEAT and frm.channel_number == 0, frm
        received += 1
    # RabbitMQ sends one every heartbeat/2 (i.e. ~7 here); at least one per second is required.
    assert received >= 3, received
    # the connection is still alive
    c.send_method(0, spec.Connection.Close(reply_code=200, reply_text="bye", class_id=0, method_id=0))
    c.expect(spec.Connection.CloseOk)


def test_no_heartbeats_when_disabled(raw):
    c = raw()
    c.handshake(heartbeat=0)
    with pytest.raises(TimeoutError):
        c.recv_frame(timeout=2.5)


def test_pika_heartbeat_keeps_connection_alive(broker):
    conn = pika.BlockingConnection(broker.params(heartbeat=1))
    try:
        ch = conn.channel()
        deadline = time.monotonic() + 3.5
        while time.monotonic() < deadline:
            conn.process_data_events(time_limit=0.2)
        assert conn.is_open
        q = ch.queue_declare("", exclusive=True).method.queue
        assert q.startswith("amq.gen-")
    finally:
        if conn.is_open:
            conn.close()
