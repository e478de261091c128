"""Durability across a broker restart, and clean shutdown on SIGTERM.

These need a broker process of their own (``fresh_broker``) that the test can
stop and start again with the same data directory, so they cannot run against
the shared external RabbitMQ. The expected behaviour is RabbitMQ's:
durable queues/exchanges/bindings and persistent (delivery_mode=2) messages in
durable queues survive; everything else does not; unacknowledged persistent
messages come back; open connections get connection.close 320 on shutdown.
"""
import signal

import pika
import pytest
from pika import spec

from conftest import requires_own_broker
from support import channel_error, confirmed, drain_get, no_exchange, no_queue

pytestmark = requires_own_broker

PERSISTENT = pika.BasicProperties(delivery_mode=2)
TRANSIENT = pika.BasicProperties(delivery_mode=1)


def test_durable_entities_and_persistent_messages_survive_restart(fresh_broker):
    b = fresh_broker
    conn = b.connect()
    ch = confirmed(conn.channel())
    ch.exchange_declare("wt-durable-x", "topic", durable=True)
    ch.exchange_declare("wt-transient-x", "fanout", durable=False)
    ch.queue_declare("wt-durable-q", durable=True)
    ch.queue_declare("wt-transient-q", durable=False)
    ch.queue_bind("wt-durable-q", "wt-durable-x", "a.#")
    ch.basic_publish("", "wt-durable-q", b"p1", PERSISTENT)
    ch.basic_publish("", "wt-durable-q", b"t1", TRANSIENT)
    ch.basic_publish("wt-durable-x", "a.b", b"p2", PERSISTENT)
    ch.basic_publish("", "wt-durable-q", b"t2")              # no delivery_mode = transient
    ch.basic_publish("", "wt-transient-q", b"p3", PERSISTENT)
    conn.close()

    b.process.restart()

    conn = b.connect()
    ch = confirmed(conn.channel())
    ok = ch.queue_declare("wt-durable-q", passive=True).method
    assert ok.message_count == 2
    assert drain_get(ch, "wt-durable-q") == [b"p1", b"p2"]
    # the binding survived with the durable exchange and queue
    ch.basic_publish("wt-durable-x", "a.c", b"after restart", PERSISTENT)
    assert drain_get(ch, "wt-durable-q") == [b"after restart"]
    assert channel_error(ch.queue_declare, "wt-transient-q", passive=True) == (404, no_queue("wt-transient-q"))
    ch = conn.channel()
    assert channel_error(ch.exchange_declare, "wt-transient-x", passive=True) == (
        404, no_exchange("wt-transient-x"))
    conn.close()


def test_durable_exclusive_and_auto_delete_queues(fresh_broker):
    b = fresh_broker
    conn = b.connect()
    ch = conn.channel()
    excl = ch.queue_declare("", durable=True, exclusive=True).method.queue
    ch.queue_declare("wt-durable-ad", durable=True, auto_delete=True)
    b.process.restart()
    conn2 = b.connect()
    ch = conn2.channel()
    # an exclusive queue never outlives its connection, durable or not
    assert channel_error(ch.queue_declare, excl, passive=True) == (404, no_queue(excl))
    # a durable auto-delete queue that never had a consumer is still there
    conn2.channel().queue_declare("wt-durable-ad", passive=True)
    conn2.close()


def test_unacked_persistent_messages_return_after_restart(fresh_broker):
    b = fresh_broker
    conn = b.connect()
    ch = confirmed(conn.channel())
    ch.queue_declare("wt-unacked-q", durable=True)
    for body in (b"u1", b"u2", b"u3"):
        ch.basic_publish("", "wt-unacked-q", body, PERSISTENT)
    m1, _, _ = ch.basic_get("wt-unacked-q")
    m2, _, _ = ch.basic_get("wt-unacked-q")
    ch.basic_ack(m1.delivery_tag)                 # u1 done, u2 in flight at shutdown
    ch.queue_declare("wt-unacked-q", passive=True)  # sync: the ack has been processed
    b.process.restart()
    conn = b.connect()
    ch = conn.channel()
    got = []
    while True:
        m, _, body = ch.basic_get("wt-unacked-q", auto_ack=True)
        if m is None:
            break
        got.append((body, m.redelivered))
    assert [g[0] for g in got] == [b"u2", b"u3"]
    assert got[0][1] is True                      # it had been delivered before
    conn.close()


def test_sigterm_closes_client_connections_with_320(fresh_broker):
    b = fresh_broker
    c = b.raw()
    c.handshake()
    c.open_channel(1)
    b.process.proc.send_signal(signal.SIGTERM)
    close = c.expect(spec.Connection.Close, timeout=10).method
    assert (close.reply_code, close.reply_text, close.class_id, close.method_id) == (
        320, "CONNECTION_FORCED - broker forced connection closure with reason 'shutdown'", 0, 0)
    try:
        c.send_method(0, spec.Connection.CloseOk())
    except OSError:
        pass
    c.close()
    b.process.stop()   # asserts exit code 0 within the deadline


def test_sigterm_with_pika_consumer(fresh_broker):
    b = fresh_broker
    conn = b.connect()
    ch = conn.channel()
    q = ch.queue_declare("", exclusive=True).method.queue
    ch.basic_consume(q, lambda *a: None)
    b.process.proc.send_signal(signal.SIGTERM)
    with pytest.raises(pika.exceptions.ConnectionClosedByBroker) as info:
        conn.process_data_events(time_limit=10)
        conn.process_data_events(time_limit=10)
    assert (info.value.reply_code, info.value.reply_text) == (
        320, "CONNECTION_FORCED - broker forced connection closure with reason 'shutdown'")
    b.process.stop()


def test_restart_on_same_port_accepts_connections(fresh_broker):
    b = fresh_broker
    port = b.port
    b.process.restart()
    assert b.process.port == port
    conn = b.connect()
    assert conn.is_open
    conn.close()
