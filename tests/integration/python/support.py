"""Helpers shared by the Warren Python integration tests.

* ``wait_until`` -- poll a condition with a deadline (never sleep blindly).
* ``uname`` -- unique resource names, so tests can share a broker.
* ``RawClient`` -- a tiny frame-level AMQP 0-9-1 client on a plain socket,
  for protocol tests that pika would refuse to perform (bad frames, silent
  heartbeats, exact frame ordering ...).  It reuses pika's spec classes for
  encoding/decoding method and content frames.
* ``channel_error`` / ``connection_error`` -- run a pika call and return the
  (reply_code, reply_text) the broker closed the channel/connection with.
"""
import os
import select
import socket
import struct
import time
import uuid

import pika
import pika.exceptions
from pika import frame as pframe
from pika import spec

PROTOCOL_HEADER = b"AMQP\x00\x00\x09\x01"
FRAME_END = b"\xce"


def uname(prefix="wt"):
    """Unique name for queues/exchanges/vhosts/users."""
    return "%s-%s" % (prefix, uuid.uuid4().hex[:12])


def wait_until(cond, timeout=5.0, interval=0.02, message=None):
    """Poll ``cond()`` until it returns a truthy value; return that value.

    Raises AssertionError when ``timeout`` seconds pass first."""
    deadline = time.monotonic() + timeout
    while True:
        value = cond()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(message or "condition not met within %.1fs" % timeout)
        time.sleep(interval)


def pump(connection, timeout=0.0):
    """Let a pika BlockingConnection process pending I/O (and callbacks)."""
    connection.process_data_events(time_limit=timeout)


def pump_until(connection, cond, timeout=5.0, message=None):
    """Drive a BlockingConnection's I/O loop until ``cond()`` is truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = cond()
        if value:
            return value
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(message or "condition not met within %.1fs" % timeout)
        connection.process_data_events(time_limit=min(0.05, remaining))


def confirmed(channel):
    """Put a pika BlockingChannel in confirm mode (publishes become synchronous)."""
    channel.confirm_delivery()
    return channel


def channel_error(fn, *args, **kwargs):
    """Call ``fn`` and return (code, text) of the ChannelClosedByBroker it raises."""
    try:
        fn(*args, **kwargs)
    except pika.exceptions.ChannelClosedByBroker as exc:
        return exc.reply_code, exc.reply_text
    raise AssertionError("expected the broker to close the channel, but %r succeeded" % (fn,))


def connection_error(fn, *args, **kwargs):
    """Call ``fn`` and return (code, text) of the ConnectionClosedByBroker it raises."""
    try:
        fn(*args, **kwargs)
    except pika.exceptions.ConnectionClosedByBroker as exc:
        return exc.reply_code, exc.reply_text
    raise AssertionError("expected the broker to close the connection, but %r succeeded" % (fn,))


def drain_get(channel, queue, max_messages=1000, auto_ack=True):
    """basic.get everything currently in ``queue``; return list of bodies."""
    out = []
    for _ in range(max_messages):
        method, props, body = channel.basic_get(queue, auto_ack=auto_ack)
        if method is None:
            break
        out.append(body)
    return out


def wait_get(channel, queue, timeout=5.0, auto_ack=True):
    """basic.get until a message arrives (polling with a deadline); returns (method, props, body)."""
    deadline = time.monotonic() + timeout
    while True:
        method, props, body = channel.basic_get(queue, auto_ack=auto_ack)
        if method is not None:
            return method, props, body
        if time.monotonic() >= deadline:
            raise AssertionError("no message in %r within %.1fs" % (queue, timeout))
        channel.connection.process_data_events(time_limit=0.02)


def queue_depth(channel, queue):
    """Message count of ``queue`` via a passive declare."""
    return channel.queue_declare(queue, passive=True).method.message_count


# ---------------------------------------------------------------------------
# Raw frame-level client
# ---------------------------------------------------------------------------

class PeerClosed(Exception):
    """The broker closed the TCP connection."""


def method_frame(channel, method):
    return pframe.Method(channel, method).marshal()


def raw_frame(frame_type, channel, payload, end=FRAME_END):
    """Build a frame by hand (for malformed-frame tests)."""
    return struct.pack(">BHI", frame_type, channel, len(payload)) + payload + end


def raw_method_payload(class_id, method_id, args=b""):
    return struct.pack(">HH", class_id, method_id) + args


class RawClient:
    """Minimal blocking AMQP 0-9-1 client on a plain socket."""

    def __init__(self, host, port, timeout=5.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.timeout = timeout
        self.buf = b""
        self.frames = []          # every frame received, in order (for ordering checks)
        self.start = None         # connection.start method received
        self.tune = None          # connection.tune method received
        self.frame_max = 131072
        self.closed_by_peer = False

    # -- sending -----------------------------------------------------------
    def send(self, data):
        self.sock.sendall(data)

    def send_method(self, channel, method):
        self.send(method_frame(channel, method))

    def send_heartbeat(self):
        self.send(pframe.Heartbeat().marshal())

    def publish(self, channel, method, body=b"", properties=None):
        """Send basic.publish + content header + body frames."""
        properties = properties or spec.BasicProperties()
        data = method_frame(channel, method)
        data += pframe.Header(channel, len(body), properties).marshal()
        max_payload = self.frame_max - 8
        for i in range(0, len(body), max_payload):
            data += pframe.Body(channel, body[i:i + max_payload]).marshal()
        self.send(data)

    # -- receiving ---------------------------------------------------------
    def _fill(self, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("no data from broker in time")
        ready, _, _ = select.select([self.sock], [], [], remaining)
        if not ready:
            raise TimeoutError("no data from broker in time")
        try:
            chunk = self.sock.recv(65536)
        except (ConnectionResetError, ConnectionAbortedError):
            chunk = b""
        if not chunk:
            self.closed_by_peer = True
            raise PeerClosed("broker closed the socket")
        self.buf += chunk

    def recv_bytes(self, n, timeout=None):
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while len(self.buf) < n:
            self._fill(deadline)
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def recv_frame(self, timeout=None):
        """Next frame (pika frame object).  Raises PeerClosed / TimeoutError."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            if self.buf:
                consumed, frm = pframe.decode_frame(self.buf)
                if frm is not None:
                    self.buf = self.buf[consumed:]
                    self.frames.append(frm)
                    return frm
            self._fill(deadline)

    def recv_method(self, timeout=None, skip_heartbeats=True):
        """Next method frame (skipping heartbeats). Returns pika.frame.Method."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            frm = self.recv_frame(timeout=max(0.001, deadline - time.monotonic()))
            if isinstance(frm, pframe.Heartbeat) and skip_heartbeats:
                continue
            return frm

    def expect(self, method_cls, timeout=None):
        """Read until a method frame of ``method_cls`` arrives; fail on anything else
        except heartbeats."""
        frm = self.recv_method(timeout)
        assert isinstance(frm, pframe.Method), "expected %s, got %r" % (method_cls.NAME, frm)
        assert isinstance(frm.method, method_cls), "expected %s, got %r" % (method_cls.NAME, frm.method)
        return frm

    def expect_close(self, timeout=None):
        """Expect connection.close; reply close-ok; return (code, text, class_id, method_id)."""
        frm = self.expect(spec.Connection.Close, timeout)
        m = frm.method
        try:
            self.send_method(0, spec.Connection.CloseOk())
        except OSError:
            pass
        return m.reply_code, m.reply_text, m.class_id, m.method_id

    def read_until_close(self, timeout=5.0):
        """All bytes received until the broker closes the socket (TimeoutError if it does not)."""
        deadline = time.monotonic() + timeout
        try:
            while True:
                self._fill(deadline)
        except PeerClosed:
            data, self.buf = self.buf, b""
            return data

    def wait_peer_close(self, timeout=5.0):
        """Read (discarding) until the broker closes the socket. Returns seconds waited."""
        t0 = time.monotonic()
        deadline = t0 + timeout
        try:
            while True:
                self.buf = b""
                self._fill(deadline)
        except PeerClosed:
            return time.monotonic() - t0

    # -- handshake ---------------------------------------------------------
    def handshake(self, user="guest", password="guest", vhost="/",
                  heartbeat=0, frame_max=None, channel_max=None, capabilities=None):
        """Perform the connection handshake up to connection.open-ok."""
        self.send(PROTOCOL_HEADER)
        self.start = self.expect(spec.Connection.Start).method
        props = {"product": "warren-raw-test", "capabilities": capabilities or {
            "authentication_failure_close": True, "consumer_cancel_notify": True,
            "basic.nack": True, "publisher_confirms": True}}
        resp = b"\x00" + user.encode() + b"\x00" + password.encode()
        self.send_method(0, spec.Connection.StartOk(client_properties=props, mechanism="PLAIN",
                                                   response=resp, locale="en_US"))
        self.tune = self.expect(spec.Connection.Tune).method
        cm = self.tune.channel_max if channel_max is None else channel_max
        fm = self.tune.frame_max if frame_max is None else frame_max
        self.frame_max = fm or 131072
        self.send_method(0, spec.Connection.TuneOk(channel_max=cm, frame_max=fm, heartbeat=heartbeat))
        self.send_method(0, spec.Connection.Open(virtual_host=vhost))
        return self.expect(spec.Connection.OpenOk)

    def open_channel(self, channel=1):
        self.send_method(channel, spec.Channel.Open())
        return self.expect(spec.Channel.OpenOk)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def env_flag(name):
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


# ---------------------------------------------------------------------------
# Exact RabbitMQ 3.10 reply texts that recur (kept in one place; see EXPECTED.md)
# ---------------------------------------------------------------------------

def no_queue(name, vhost="/"):
    return "NOT_FOUND - no queue '%s' in vhost '%s'" % (name, vhost)


def no_exchange(name, vhost="/"):
    return "NOT_FOUND - no exchange '%s' in vhost '%s'" % (name, vhost)


def locked_queue(name, vhost="/"):
    return ("RESOURCE_LOCKED - cannot obtain exclusive access to locked queue '%s' in vhost '%s'. "
            "It could be originally declared on another connection or the exclusive property "
            "value does not match that of the original declaration." % (name, vhost))


def access_refused(kind, name, user, vhost="/"):
    return "ACCESS_REFUSED - access to %s '%s' in vhost '%s' refused for user '%s'" % (kind, name, vhost, user)


def inequivalent(arg, kind, name, received, current, vhost="/"):
    return ("PRECONDITION_FAILED - inequivalent arg '%s' for %s '%s' in vhost '%s': "
            "received '%s' but current is '%s'" % (arg, kind, name, vhost, received, current))


LOGIN_REFUSED = ("ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN. "
                 "For details see the broker logfile.")
SERVER_NAMED_QUEUE_RE = r"^amq\.gen-[A-Za-z0-9_-]{22}$"
SERVER_CONSUMER_TAG_RE = r"^amq\.ctag-[A-Za-z0-9_-]{22}$"
