"""Consumer (delivery acknowledgement) timeout: the consumer_timeout setting, the queue's
x-consumer-timeout and the consumer's x-consumer-timeout (RabbitMQ 3.12+). Verified
against RabbitMQ 3.10.8 started with `consumer_timeout = 2000` (see EXPECTED.md); these
tests need a broker of their own, started with a short timeout.

RabbitMQ checks the oldest unacked delivery on its channel tick (every 60 s); Warren at
that delivery's deadline, so these tests can use short timeouts."""
import subprocess
import time

import pika
import pika.exceptions
import pytest
from pika import spec

from conftest import WARREN_SERVER, free_port, requires_own_broker, start_warren
from support import queue_depth, wait_get

pytestmark = requires_own_broker


def timed_out(channel, ms):
    return (406, "PRECONDITION_FAILED - delivery acknowledgement on channel %d timed out. "
                 "Timeout value used: %d ms. This timeout value can be configured, see "
                 "consumers doc guide to learn more" % (channel, ms))


def run_until_closed(conn, ch, timeout=10.0):
    deadline = time.monotonic() + timeout
    while ch.is_open and time.monotonic() < deadline:
        conn.process_data_events(time_limit=0.05)
    assert ch.is_closed, "the channel was not closed within %.0fs" % timeout


@pytest.fixture(scope="module")
def short():
    """A broker whose consumer_timeout is 400 ms."""
    b = start_warren("warren-ctimeout-", ["--consumer-timeout", "400"])
    yield b
    b.process.stop_and_clean()


def closed_reason(ch):
    """(code, text) a pika channel was closed with."""
    reason = ch._closing_reason  # the ChannelClosedByBroker pika raises on next use
    return reason.reply_code, reason.reply_text


def test_unacked_delivery_closes_the_channel_and_is_requeued(short):
    conn = short.connect()
    try:
        setup = conn.channel()
        setup.queue_declare("ct-q1")
        setup.basic_publish("", "ct-q1", b"a")
        ch = conn.channel()
        got = []
        ch.basic_consume("ct-q1", lambda c, m, p, b: got.append(b))
        started = time.monotonic()
        run_until_closed(conn, ch)
        assert got == [b"a"]
        assert 0.3 < time.monotonic() - started < 5
        assert closed_reason(ch) == timed_out(ch.channel_number, 400)
        m, _, body = wait_get(setup, "ct-q1")
        assert (body, m.redelivered) == (b"a", True)
    finally:
        conn.close()


def test_close_names_no_method(short):
    """channel.close carries class and method id 0, as RabbitMQ's does."""
    conn = short.connect()
    conn.channel().queue_declare("ct-raw")
    conn.channel().basic_publish("", "ct-raw", b"g")
    conn.close()
    with short.raw(timeout=10) as c:
        c.handshake()
        c.open_channel(5)
        c.send_method(5, spec.Basic.Get(queue="ct-raw"))  # basic.get deliveries count too
        close = None
        deadline = time.monotonic() + 10
        while close is None and time.monotonic() < deadline:
            f = c.recv_frame(timeout=10)
            if isinstance(getattr(f, "method", None), spec.Channel.Close):
                close = f.method
        assert (close.reply_code, close.reply_text, close.class_id, close.method_id) == (
            *timed_out(5, 400), 0, 0)


def test_acked_in_time_keeps_the_channel(short):
    conn = short.connect()
    try:
        ch = conn.channel()
        ch.queue_declare("ct-q2")
        for i in range(3):
            ch.basic_publish("", "ct-q2", b"m%d" % i)
        for _ in range(3):
            m, _, _ = wait_get(ch, "ct-q2", auto_ack=False)
            conn.process_data_events(time_limit=0.2)
            ch.basic_ack(m.delivery_tag)
        conn.process_data_events(time_limit=0.8)  # past the timeout of every delivery
        assert ch.is_open
        assert queue_depth(ch, "ct-q2") == 0
    finally:
        conn.close()


def test_only_the_oldest_delivery_is_timed(short):
    """A later delivery's own deadline is only looked at once it is the oldest."""
    conn = short.connect()
    try:
        ch = conn.channel()
        ch.queue_declare("ct-q3")
        ch.basic_publish("", "ct-q3", b"first")
        ch.basic_publish("", "ct-q3", b"second")
        first, _, _ = wait_get(ch, "ct-q3", auto_ack=False)
        conn.process_data_events(time_limit=0.25)
        second, _, _ = wait_get(ch, "ct-q3", auto_ack=False)
        conn.process_data_events(time_limit=0.1)
        ch.basic_ack(first.delivery_tag)
        run_until_closed(conn, ch)  # the second times out in turn
        assert closed_reason(ch) == timed_out(ch.channel_number, 400)
    finally:
        conn.close()


def test_no_ack_consumers_are_not_timed(short):
    conn = short.connect()
    try:
        ch = conn.channel()
        ch.queue_declare("ct-q4")
        ch.basic_publish("", "ct-q4", b"a")
        got = []
        ch.basic_consume("ct-q4", lambda c, m, p, b: got.append(b), auto_ack=True)
        conn.process_data_events(time_limit=0.8)
        assert got == [b"a"] and ch.is_open
    finally:
        conn.close()


def test_quorum_queue_delivery_returns_with_its_count(short):
    conn = short.connect()
    try:
        setup = conn.channel()
        setup.queue_declare("ct-qq", durable=True, arguments={"x-queue-type": "quorum"})
        setup.basic_publish("", "ct-qq", b"a")
        ch = conn.channel()
        ch.basic_consume("ct-qq", lambda *a: None)
        run_until_closed(conn, ch)
        m, props, _ = wait_get(setup, "ct-qq")
        assert m.redelivered and props.headers["x-delivery-count"] == 1
    finally:
        conn.close()


@pytest.fixture(scope="module")
def default_timeout():
    b = start_warren("warren-ctimeout-default-")
    yield b
    b.process.stop_and_clean()


@pytest.mark.parametrize("where", ["queue", "consumer"])
def test_x_consumer_timeout(default_timeout, where):
    """RabbitMQ 3.12's x-consumer-timeout: the consumer's, else the queue's, else the
    setting (30 minutes by default)."""
    conn = default_timeout.connect()
    try:
        setup = conn.channel()
        q = "ct-x-" + where
        setup.queue_declare(q, arguments={"x-consumer-timeout": 300} if where == "queue" else {})
        setup.basic_publish("", q, b"a")
        ch = conn.channel()
        ch.basic_consume(q, lambda *a: None,
                         arguments={"x-consumer-timeout": 300} if where == "consumer" else {})
        run_until_closed(conn, ch)
        assert closed_reason(ch) == timed_out(ch.channel_number, 300)
    finally:
        conn.close()


def test_x_consumer_timeout_that_is_not_an_integer_is_ignored(default_timeout):
    conn = default_timeout.connect()
    try:
        ch = conn.channel()
        ch.queue_declare("ct-x-bad", arguments={"x-consumer-timeout": "300"})
        ch.basic_publish("", "ct-x-bad", b"a")
        wait_get(ch, "ct-x-bad", auto_ack=False)
        conn.process_data_events(time_limit=0.6)
        assert ch.is_open
    finally:
        conn.close()


@pytest.mark.parametrize("value", ["0", "-5", "soon"])
def test_consumer_timeout_must_be_positive(tmp_path, value):
    conf = tmp_path / "bad.conf"
    conf.write_text("consumer_timeout = %s\n" % value)
    out = subprocess.run([WARREN_SERVER, "--config", str(conf), "--port", str(free_port()),
                          "--data-dir", str(tmp_path / "data")],
                         capture_output=True, text=True, timeout=10)
    assert out.returncode != 0
    assert "%s:1: invalid value '%s' for consumer_timeout" % (conf, value) in out.stderr
