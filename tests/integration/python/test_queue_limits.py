"""x-max-length / x-max-length-bytes with x-overflow, and x-expires."""
import time

import pika
import pytest

from conftest import requires_own_broker, start_warren
from support import channel_error, drain_get, queue_depth, wait_get, wait_until


def test_max_length_drop_head(channel, res):
    q = res.queue()
    channel.queue_declare(q, arguments={"x-max-length": 3})
    for i in range(10):
        channel.basic_publish("", q, b"%d" % i)
    assert queue_depth(channel, q) == 3
    assert drain_get(channel, q) == [b"7", b"8", b"9"]


def test_max_length_zero(channel, res):
    q = res.queue()
    channel.queue_declare(q, arguments={"x-max-length": 0})
    channel.basic_publish("", q, b"a")
    assert queue_depth(channel, q) == 0


def test_max_length_bytes_drop_head(channel, res):
    q = res.queue()
    channel.queue_declare(q, arguments={"x-max-length-bytes": 10})
    for body in (b"aaaa", b"bbbb", b"cccc", b"dd"):
        channel.basic_publish("", q, body, pika.BasicProperties(headers={"big": "x" * 100}))
    # Body bytes only: 4 + 4 + 2 fit, the first goes.
    assert drain_get(channel, q) == [b"bbbb", b"cccc", b"dd"]


def test_unacked_messages_do_not_count(channel, res):
    q = res.queue()
    channel.queue_declare(q, arguments={"x-max-length": 1})
    channel.basic_publish("", q, b"a")
    m, _, _ = wait_get(channel, q, auto_ack=False)
    channel.basic_publish("", q, b"b")
    assert queue_depth(channel, q) == 1
    channel.basic_reject(m.delivery_tag, requeue=True)
    # Back over the limit: drop-head drops the requeued (oldest) message.
    time.sleep(0.1)
    assert drain_get(channel, q) == [b"b"]


def test_requeue_over_limit_with_reject_publish_keeps_both(channel, res):
    q = res.queue()
    channel.queue_declare(q, arguments={"x-max-length": 1, "x-overflow": "reject-publish"})
    channel.basic_publish("", q, b"a")
    m, _, _ = wait_get(channel, q, auto_ack=False)
    channel.basic_publish("", q, b"b")
    channel.basic_reject(m.delivery_tag, requeue=True)
    wait_until(lambda: queue_depth(channel, q) == 2)
    assert drain_get(channel, q) == [b"a", b"b"]


def test_reject_publish_nacks_confirming_publisher(channel, res):
    q = res.queue()
    channel.queue_declare(q, arguments={"x-max-length": 2, "x-overflow": "reject-publish"})
    channel.basic_publish("", q, b"1")
    channel.basic_publish("", q, b"2")
    with pytest.raises(pika.exceptions.NackError):
        channel.basic_publish("", q, b"3")
    assert drain_get(channel, q, auto_ack=True) == [b"1", b"2"]
    channel.basic_publish("", q, b"4")  # room again: confirmed
    assert drain_get(channel, q) == [b"4"]


def test_reject_publish_nacks_persistent_publish_to_durable_queue(connection, res):
    q, other = res.queue(), res.queue()
    ch = connection.channel()
    ch.confirm_delivery()
    ch.queue_declare(q, durable=True, arguments={"x-max-length": 1,
                                                 "x-overflow": "reject-publish"})
    ch.queue_declare(other, durable=True)
    ch.basic_publish("", other, b"p", pika.BasicProperties(delivery_mode=2))
    ch.basic_publish("", q, b"1", pika.BasicProperties(delivery_mode=2))
    with pytest.raises(pika.exceptions.NackError):
        ch.basic_publish("", q, b"2", pika.BasicProperties(delivery_mode=2))
    ch.basic_publish("", other, b"p2", pika.BasicProperties(delivery_mode=2))
    assert queue_depth(ch, q) == 1 and queue_depth(ch, other) == 2


def test_reject_publish_without_confirms_drops_silently(connection, res):
    q = res.queue()
    ch = connection.channel()
    ch.queue_declare(q, arguments={"x-max-length": 1, "x-overflow": "reject-publish"})
    ch.basic_publish("", q, b"1")
    ch.basic_publish("", q, b"2")
    wait_until(lambda: queue_depth(ch, q) == 1)
    time.sleep(0.1)
    assert drain_get(ch, q) == [b"1"]
    assert ch.is_open


def test_reject_publish_bytes(channel, res):
    q = res.queue()
    channel.queue_declare(q, arguments={"x-max-length-bytes": 5, "x-overflow": "reject-publish"})
    channel.basic_publish("", q, b"abc")
    with pytest.raises(pika.exceptions.NackError):
        channel.basic_publish("", q, b"def")
    channel.basic_publish("", q, b"gh")
    assert drain_get(channel, q) == [b"abc", b"gh"]


def test_expires_deletes_unused_queue(channel, res, broker):
    q = res.queue()
    channel.queue_declare(q, arguments={"x-expires": 300})
    start = time.monotonic()

    def gone():
        ch = channel.connection.channel()
        try:
            ch.queue_declare(q, passive=True)
            ch.close()
            return False
        except pika.exceptions.ChannelClosedByBroker as e:
            assert e.reply_code == 404
            return True
    # Polling with passive declares would renew the lease: wait, then look once.
    time.sleep(0.15)
    assert not gone()  # the passive declare above renewed it
    time.sleep(0.6)
    assert gone()
    assert time.monotonic() - start < 5


def test_expires_lease_renewed_by_use(channel, res):
    q = res.queue()
    channel.queue_declare(q, arguments={"x-expires": 600})
    for _ in range(5):
        time.sleep(0.3)
        channel.basic_get(q, auto_ack=True)  # use
    assert channel.queue_declare(q, passive=True).method.queue == q


def test_expires_waits_while_consumed(connection, res):
    q = res.queue()
    ch = connection.channel()
    ch.queue_declare(q, arguments={"x-expires": 200})
    tag = ch.basic_consume(q, lambda *a: None)
    connection.process_data_events(time_limit=0.6)
    assert ch.queue_declare(q, passive=True).method.consumer_count == 1
    ch.basic_cancel(tag)
    time.sleep(0.6)
    ch2 = connection.channel()
    assert channel_error(ch2.queue_declare, q, passive=True)[0] == 404


@requires_own_broker
def test_expires_durable_queue_after_restart():
    b = start_warren("warren-expires-")
    try:
        conn = b.connect()
        ch = conn.channel()
        ch.queue_declare("exp", durable=True, arguments={"x-expires": 1500})
        ch.queue_declare("keep", durable=True)
        conn.close()
        b.process.restart()
        conn = b.connect()
        ch = conn.channel()
        ch.queue_declare("keep", passive=True)
        time.sleep(2.0)
        assert channel_error(ch.queue_declare, "exp", passive=True)[0] == 404
        conn.close()
        b.process.restart()  # the deletion was saved
        conn = b.connect()
        assert channel_error(conn.channel().queue_declare, "exp", passive=True)[0] == 404
        conn.close()
    finally:
        b.process.stop_and_clean()
