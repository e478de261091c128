"""Priority queues (x-max-priority) and single active consumer."""
import pika
import pytest

from conftest import requires_own_broker, start_warren
from support import drain_get, pump_until, queue_depth, wait_get


def publish_prio(ch, q, items):
    for body, prio in items:
        props = pika.BasicProperties(priority=prio) if prio is not None else None
        ch.basic_publish("", q, body, props)


def test_priority_order_fifo_within_priority(channel, res):
    q = res.queue()
    channel.queue_declare(q, arguments={"x-max-priority": 10})
    publish_prio(channel, q, [(b"a0", None), (b"b5", 5), (b"c1", 1), (b"d5", 5), (b"e9", 9),
                              (b"f0", 0)])
    assert drain_get(channel, q) == [b"e9", b"b5", b"d5", b"c1", b"a0", b"f0"]


def test_priority_above_max_counts_as_max(channel, res):
    q = res.queue()
    channel.queue_declare(q, arguments={"x-max-priority": 2})
    publish_prio(channel, q, [(b"a2", 2), (b"b9", 9), (b"c1", 1)])
    assert drain_get(channel, q) == [b"a2", b"b9", b"c1"]


def test_queue_without_max_priority_ignores_priority(channel, res):
    q = res.queue()
    channel.queue_declare(q)
    publish_prio(channel, q, [(b"a", 0), (b"b", 9), (b"c", 5)])
    assert drain_get(channel, q) == [b"a", b"b", b"c"]


def test_requeued_message_keeps_priority_position(channel, res):
    q = res.queue()
    channel.queue_declare(q, arguments={"x-max-priority": 5})
    publish_prio(channel, q, [(b"lo", 1), (b"hi", 5)])
    m, _, body = wait_get(channel, q, auto_ack=False)
    assert body == b"hi"
    publish_prio(channel, q, [(b"mid", 3)])
    channel.basic_reject(m.delivery_tag, requeue=True)
    assert drain_get(channel, q) == [b"hi", b"mid", b"lo"]


def test_priority_delivery_to_consumer(connection, res):
    q = res.queue()
    ch = connection.channel()
    ch.confirm_delivery()
    ch.queue_declare(q, arguments={"x-max-priority": 10})
    publish_prio(ch, q, [(b"%d" % p, p) for p in (1, 7, 3, 9, 0)])
    got = []
    ch.basic_qos(prefetch_count=10)
    ch.basic_consume(q, lambda c, m, p, b: got.append(b), auto_ack=True)
    pump_until(connection, lambda: len(got) == 5)
    assert got == [b"9", b"7", b"3", b"1", b"0"]


@requires_own_broker
def test_durable_priority_queue_order_after_restart():
    b = start_warren("warren-prio-")
    try:
        conn = b.connect()
        ch = conn.channel()
        ch.confirm_delivery()
        ch.queue_declare("pq", durable=True, arguments={"x-max-priority": 10})
        for body, p in [(b"a1", 1), (b"b9", 9), (b"c5", 5), (b"d9", 9)]:
            ch.basic_publish("", "pq", body, pika.BasicProperties(priority=p, delivery_mode=2))
        conn.close()
        b.process.restart()
        conn = b.connect()
        ch = conn.channel()
        ch.confirm_delivery()
        ch.basic_publish("", "pq", b"e7", pika.BasicProperties(priority=7, delivery_mode=2))
        assert drain_get(ch, "pq") == [b"b9", b"d9", b"e7", b"c5", b"a1"]
        conn.close()
    finally:
        b.process.stop_and_clean()


def test_single_active_consumer_failover(connect, res):
    q = res.queue()
    c1, c2 = connect(), connect()
    ch1, ch2 = c1.channel(), c2.channel()
    ch1.queue_declare(q, arguments={"x-single-active-consumer": True})
    got1, got2 = [], []
    ch1.basic_consume(q, lambda c, m, p, b: got1.append(b), auto_ack=True)
    ok = ch2.basic_consume(q, lambda c, m, p, b: got2.append(b), auto_ack=True)
    assert ok  # consume-ok for the waiting consumer too
    pub = connect().channel()
    pub.confirm_delivery()
    for i in range(6):
        pub.basic_publish("", q, b"%d" % i)
    pump_until(c1, lambda: len(got1) == 6)
    c2.process_data_events(time_limit=0.2)
    assert got2 == []
    assert pub.queue_declare(q, passive=True).method.consumer_count == 2
    c1.close()  # the active consumer goes: the next one takes over
    for i in range(6, 9):
        pub.basic_publish("", q, b"%d" % i)
    pump_until(c2, lambda: len(got2) == 3)
    assert got2 == [b"6", b"7", b"8"]


def test_single_active_consumer_unacked_requeued_to_next(connect, res):
    q = res.queue()
    c1, c2 = connect(), connect()
    ch1, ch2 = c1.channel(), c2.channel()
    ch1.queue_declare(q, arguments={"x-single-active-consumer": True})
    ch1.basic_qos(prefetch_count=1)
    got1, got2 = [], []
    ch1.basic_consume(q, lambda c, m, p, b: got1.append(b))
    ch2.basic_consume(q, lambda c, m, p, b: (got2.append(b), c.basic_ack(m.delivery_tag)))
    pub = connect().channel()
    pub.confirm_delivery()
    for i in range(3):
        pub.basic_publish("", q, b"%d" % i)
    pump_until(c1, lambda: len(got1) == 1)
    c2.process_data_events(time_limit=0.2)
    assert got2 == []
    ch1.close()  # pika cancels the consumer, then closes the channel (requeueing "0")
    pump_until(c2, lambda: len(got2) == 3)
    # Warren hands over at the cancel, so "1" and "2" may come before the requeued "0";
    # RabbitMQ 3.10 stalls the next consumer until the channel closes (docs/compatibility.md).
    assert sorted(got2) == [b"0", b"1", b"2"]
