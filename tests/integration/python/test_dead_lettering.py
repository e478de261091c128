"""Dead-lettering (x-dead-letter-exchange): triggers, the x-death header as RabbitMQ 3.10
writes it, routing keys, cycles, persistence across a restart."""
import datetime
import time

import pika
import pytest

from conftest import requires_own_broker, start_warren
from support import wait_get, wait_until, queue_depth


def setup_dlx(ch, res, args=None, dlx_type="topic", bind="#"):
    """A queue dead-lettering into exchange dlx, bound to queue dlq."""
    dlx, dlq, q = res.exchange("wt-dlx"), res.queue("wt-dlq"), res.queue("wt-src")
    ch.exchange_declare(dlx, dlx_type)
    ch.queue_declare(dlq)
    ch.queue_bind(dlq, dlx, bind)
    a = {"x-dead-letter-exchange": dlx}
    a.update(args or {})
    ch.queue_declare(q, arguments=a)
    return q, dlx, dlq


def reject_one(ch, q, requeue=False, nack=False):
    m, _, _ = wait_get(ch, q, auto_ack=False)
    if nack:
        ch.basic_nack(m.delivery_tag, requeue=requeue)
    else:
        ch.basic_reject(m.delivery_tag, requeue=requeue)


def assert_recent(ts):
    now = datetime.datetime.utcnow()
    assert abs((now - ts).total_seconds()) < 120, ts


def test_rejected_message_x_death(channel, res):
    q, dlx, dlq = setup_dlx(channel, res)
    channel.basic_publish("", q, b"m1", pika.BasicProperties(
        expiration="60000", headers={"CC": ["cc1"], "h": 1}, delivery_mode=2, priority=3))
    reject_one(channel, q)
    m, props, body = wait_get(channel, dlq)
    assert body == b"m1"
    assert (m.exchange, m.routing_key) == (dlx, q)
    assert props.expiration is None
    assert props.delivery_mode == 2 and props.priority == 3
    h = props.headers
    assert list(h) == ["CC", "h", "x-death", "x-first-death-exchange", "x-first-death-queue",
                       "x-first-death-reason"]
    assert "x-last-death-reason" not in h  # 3.11+ only
    (death,) = h["x-death"]
    assert list(death) == ["count", "reason", "queue", "time", "exchange", "routing-keys",
                           "original-expiration"]
    assert death["count"] == 1 and death["reason"] == "rejected" and death["queue"] == q
    assert death["exchange"] == "" and death["routing-keys"] == [q, "cc1"]
    assert death["original-expiration"] == "60000"
    assert_recent(death["time"])
    assert (h["x-first-death-exchange"], h["x-first-death-queue"], h["x-first-death-reason"]) == (
        "", q, "rejected")


def test_nack_dead_letters_and_requeue_does_not(channel, res):
    q, dlx, dlq = setup_dlx(channel, res)
    channel.basic_publish("", q, b"a")
    reject_one(channel, q, requeue=True, nack=True)
    assert queue_depth(channel, dlq) == 0
    reject_one(channel, q, nack=True)
    _, props, body = wait_get(channel, dlq)
    assert body == b"a" and props.headers["x-death"][0]["reason"] == "rejected"
    assert queue_depth(channel, q) == 0


def test_count_increments_for_same_queue_and_reason(channel, res):
    q, dlx, dlq = setup_dlx(channel, res)
    channel.basic_publish("", q, b"m", pika.BasicProperties(headers={"zz": 1, "aa": 2}))
    reject_one(channel, q)
    _, props, _ = wait_get(channel, dlq)
    first_time = props.headers["x-death"][0]["time"]
    channel.basic_publish("", q, b"m", props)
    reject_one(channel, q)
    _, props, _ = wait_get(channel, dlq)
    h = props.headers
    assert list(h) == ["aa", "x-death", "x-first-death-exchange", "x-first-death-queue",
                       "x-first-death-reason", "zz"]
    (death,) = h["x-death"]
    # An updated entry is sorted by key and keeps its first time.
    assert list(death) == ["count", "exchange", "queue", "reason", "routing-keys", "time"]
    assert death["count"] == 2 and death["time"] == first_time


def test_expired_message_dead_lettered(channel, res):
    q, dlx, dlq = setup_dlx(channel, res, {"x-message-ttl": 50})
    channel.basic_publish("", q, b"e")
    m, props, body = wait_get(channel, dlq, timeout=5)
    assert body == b"e" and m.routing_key == q
    (death,) = props.headers["x-death"]
    assert death["reason"] == "expired" and "original-expiration" not in death
    assert props.headers["x-first-death-reason"] == "expired"


def test_per_message_expiration_dead_lettered(channel, res):
    q, dlx, dlq = setup_dlx(channel, res)
    channel.basic_publish("", q, b"e", pika.BasicProperties(expiration="30"))
    _, props, _ = wait_get(channel, dlq, timeout=5)
    assert props.expiration is None
    assert props.headers["x-death"][0]["original-expiration"] == "30"


def test_new_death_is_prepended(channel, res):
    q, dlx, dlq = setup_dlx(channel, res)
    q2 = res.queue()
    channel.queue_declare(q2, arguments={"x-dead-letter-exchange": dlx, "x-message-ttl": 0})
    channel.basic_publish("", q, b"m")
    reject_one(channel, q)
    _, props, _ = wait_get(channel, dlq)
    channel.basic_publish("", q2, b"m", props)
    _, props, _ = wait_get(channel, dlq, timeout=5)
    deaths = props.headers["x-death"]
    assert [(d["queue"], d["reason"], d["count"]) for d in deaths] == [
        (q2, "expired", 1), (q, "rejected", 1)]
    assert list(deaths[0]) == ["count", "exchange", "queue", "reason", "routing-keys", "time"]
    assert props.headers["x-first-death-queue"] == q


def test_dead_letter_routing_key(channel, res):
    q, dlx, dlq = setup_dlx(channel, res, {"x-dead-letter-routing-key": "newrk"}, "direct", "newrk")
    channel.basic_publish("", q, b"m", pika.BasicProperties(headers={"CC": ["other"]}))
    reject_one(channel, q)
    m, props, _ = wait_get(channel, dlq)
    assert m.routing_key == "newrk"
    # The CC header goes with an explicit dead-letter routing key; the death keeps the keys.
    assert "CC" not in props.headers
    assert props.headers["x-death"][0]["routing-keys"] == [q, "other"]


def test_default_exchange_as_dead_letter_exchange(channel, res):
    q, target = res.queue(), res.queue()
    channel.queue_declare(target)
    channel.queue_declare(q, arguments={"x-dead-letter-exchange": "",
                                        "x-dead-letter-routing-key": target})
    channel.basic_publish("", q, b"m")
    reject_one(channel, q)
    m, props, body = wait_get(channel, target)
    assert (m.exchange, m.routing_key, body) == ("", target, b"m")


def test_missing_dead_letter_exchange_drops(channel, res):
    q = res.queue()
    channel.queue_declare(q, arguments={"x-dead-letter-exchange": "wt-no-such-exchange"})
    channel.basic_publish("", q, b"m")
    reject_one(channel, q)
    assert queue_depth(channel, q) == 0


def test_expiry_cycle_is_dropped(channel, res):
    """A message expiring back into a queue it expired from, without a rejection in
    between, is dropped (rabbit_dead_letter:is_cycle)."""
    q = res.queue()
    channel.queue_declare(q, arguments={"x-dead-letter-exchange": "", "x-message-ttl": 20})
    channel.basic_publish("", q, b"m")
    time.sleep(0.5)
    assert queue_depth(channel, q) == 0


def test_rejection_cycle_is_allowed(channel, res):
    q = res.queue()
    channel.queue_declare(q, arguments={"x-dead-letter-exchange": ""})
    channel.basic_publish("", q, b"m")
    for n in (1, 2):
        reject_one(channel, q)
        _, props, _ = wait_get(channel, q, auto_ack=False)
        assert props.headers["x-death"][0]["count"] == n
        channel.basic_recover(requeue=True)


def test_drop_head_dead_letters_maxlen(channel, res):
    q, dlx, dlq = setup_dlx(channel, res, {"x-max-length": 2})
    for b in (b"1", b"2", b"3", b"4"):
        channel.basic_publish("", q, b)
    wait_until(lambda: queue_depth(channel, dlq) == 2)
    bodies = []
    for _ in range(2):
        _, props, body = wait_get(channel, dlq)
        bodies.append(body)
        assert props.headers["x-death"][0]["reason"] == "maxlen"
    assert bodies == [b"1", b"2"]
    assert [wait_get(channel, q)[2] for _ in range(2)] == [b"3", b"4"]


def test_reject_publish_dlx(channel, res):
    q, dlx, dlq = setup_dlx(channel, res, {"x-max-length": 1, "x-overflow": "reject-publish-dlx"})
    channel.basic_publish("", q, b"a")
    with pytest.raises(pika.exceptions.NackError):
        channel.basic_publish("", q, b"b")
    _, props, body = wait_get(channel, dlq)
    assert body == b"b" and props.headers["x-death"][0]["reason"] == "maxlen"
    assert wait_get(channel, q)[2] == b"a"


@requires_own_broker
def test_dead_lettered_persistent_message_survives_restart():
    b = start_warren("warren-dlx-restart-")
    try:
        conn = b.connect()
        ch = conn.channel()
        ch.confirm_delivery()
        ch.exchange_declare("dlx", "fanout", durable=True)
        ch.queue_declare("dlq", durable=True)
        ch.queue_bind("dlq", "dlx")
        ch.queue_declare("src", durable=True, arguments={"x-dead-letter-exchange": "dlx"})
        ch.basic_publish("", "src", b"keep", pika.BasicProperties(delivery_mode=2))
        reject_one(ch, "src")
        wait_until(lambda: queue_depth(ch, "dlq") == 1)
        conn.close()
        b.process.restart()
        conn = b.connect()
        ch = conn.channel()
        assert queue_depth(ch, "src") == 0
        m, props, body = wait_get(ch, "dlq")
        assert body == b"keep" and props.headers["x-death"][0]["queue"] == "src"
        conn.close()
    finally:
        b.process.stop_and_clean()


@requires_own_broker
def test_paged_queue_dead_letters_and_drops_head():
    """Over the memory budget queues page their tails to disk; max-length drop-head and
    dead-lettering still apply, reading paged bodies back for dead-lettering."""
    b = start_warren("warren-dlx-paged-", ["--queue-memory-budget", "1MiB"])
    try:
        conn = b.connect()
        ch = conn.channel()
        ch.confirm_delivery()
        ch.queue_declare("dlq")
        ch.queue_declare("src", arguments={"x-dead-letter-exchange": "",
                                           "x-dead-letter-routing-key": "dlq",
                                           "x-max-length": 100})
        ch.queue_declare("plain", arguments={"x-max-length": 100})
        body = b"x" * 20000
        for i in range(300):
            ch.basic_publish("", "src", b"%05d" % i + body)
            ch.basic_publish("", "plain", b"%05d" % i + body)
        assert queue_depth(ch, "src") == 100 and queue_depth(ch, "plain") == 100
        wait_until(lambda: queue_depth(ch, "dlq") == 200)
        for i in range(200):
            _, props, got = wait_get(ch, "dlq")
            assert got[:5] == b"%05d" % i and props.headers["x-death"][0]["reason"] == "maxlen"
        for i in range(200, 300):
            assert wait_get(ch, "src")[2][:5] == b"%05d" % i
            assert wait_get(ch, "plain")[2][:5] == b"%05d" % i
        conn.close()
    finally:
        b.process.stop_and_clean()
