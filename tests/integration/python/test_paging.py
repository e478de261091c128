"""Queues larger than the memory budget: bodies page out to disk and come back in order.

Warren-only (RabbitMQ 3.10 has no equivalent knob): each test starts a broker with a
small `--queue-memory-budget` (and `--queue-stored-resident` for durable queues), fills a
queue far past it, checks the broker's resident memory stayed bounded and that every
message comes back once, in order, with the right body, flags and count — through
consumers, basic.get, requeue, TTL, purge and a restart.
"""
import time
from pathlib import Path

import pika
import pytest

from conftest import requires_own_broker, start_warren
from support import queue_depth, wait_until

pytestmark = [requires_own_broker, pytest.mark.timeout(180)]

BODY = 1024
PERSISTENT = pika.BasicProperties(delivery_mode=2)


def rss_bytes(broker):
    with open("/proc/%d/status" % broker.process.proc.pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def body(i):
    head = b"m%08d:" % i
    return head + bytes([i % 251]) * (BODY - len(head))


def publish_many(ch, queue, n, props=None, start=0, batch=2000):
    for i in range(start, start + n):
        ch.basic_publish("", queue, body(i), props)
        if (i - start) % batch == batch - 1:
            ch.connection.process_data_events(0)


def consume_all(ch, queue, n, auto_ack=True, timeout=120):
    """Consumes n messages; returns (indices, redelivered flags)."""
    got, redelivered = [], []
    ch.basic_qos(prefetch_count=500)
    deadline = time.monotonic() + timeout
    for method, props, payload in ch.consume(queue, auto_ack=auto_ack, inactivity_timeout=10):
        assert method is not None, "stalled after %d of %d messages" % (len(got), n)
        i = int(payload[1:9])
        assert payload == body(i), "message %d came back corrupted" % i
        got.append(i)
        redelivered.append(method.redelivered)
        if not auto_ack:
            ch.basic_ack(method.delivery_tag)
        if len(got) == n or time.monotonic() > deadline:
            break
    ch.cancel()
    return got, redelivered


def paging_files(broker):
    d = Path(broker.process.data_dir) / "paging"
    return sum(f.stat().st_size for f in d.glob("*.page")) if d.exists() else 0


@pytest.fixture
def small_budget():
    b = start_warren("warren-paging-", ["--queue-memory-budget", "4MiB",
                                        "--queue-stored-resident", "1MiB"])
    yield b
    b.process.stop_and_clean()


def test_transient_backlog_pages_out_and_drains_in_order(small_budget):
    b = small_budget
    n = 40000  # 40 MB of bodies against a 4 MiB budget
    conn = b.connect()
    ch = conn.channel()
    q = "wt-page-transient"
    ch.queue_declare(q)
    base = rss_bytes(b)
    publish_many(ch, q, n)
    assert queue_depth(ch, q) == n
    grown = rss_bytes(b) - base
    # Bodies alone would be 40 MB; what stays is the budget plus 32 bytes a message.
    assert grown < 20 * 1024 * 1024, "RSS grew by %d bytes for a paged queue" % grown
    assert paging_files(b) > 30 * 1024 * 1024
    got, redelivered = consume_all(ch, q, n)
    assert got == list(range(n))
    assert not any(redelivered)
    assert queue_depth(ch, q) == 0
    # Read back and released: the page file is reused, not grown forever.
    wait_until(lambda: paging_files(b) < 70 * 1024 * 1024, timeout=5)
    conn.close()


def test_persistent_backlog_stays_on_disk_and_survives_restart(small_budget):
    b = small_budget
    n = 30000
    conn = b.connect()
    ch = conn.channel()  # unconfirmed: a clean stop writes everything out anyway
    q = "wt-page-durable"
    ch.queue_declare(q, durable=True)
    base = rss_bytes(b)
    publish_many(ch, q, n, PERSISTENT)
    assert queue_depth(ch, q) == n
    grown = rss_bytes(b) - base
    assert grown < 15 * 1024 * 1024, "RSS grew by %d bytes for a paged durable queue" % grown
    # Bodies in the log are not written again to the page file.
    assert paging_files(b) == 0
    # Take exactly 1000 (auto-ack consumers would be sent more than they keep), then
    # leave 100 delivered but unacked across the restart.
    for i in range(1000):
        assert ch.basic_get(q, auto_ack=True)[2] == body(i)
    for i in range(1000, 1100):
        assert ch.basic_get(q, auto_ack=False)[2] == body(i)
    conn.close()
    b.process.restart()
    conn = b.connect()
    ch = conn.channel()
    assert queue_depth(ch, q) == n - 1000
    got, redelivered = consume_all(ch, q, n - 1000, auto_ack=False)
    assert got == list(range(1000, n))
    assert redelivered == [True] * 100 + [False] * (n - 1100)
    assert queue_depth(ch, q) == 0
    conn.close()


def test_get_requeue_and_purge_on_a_paged_queue(small_budget):
    b = small_budget
    n = 12000
    conn = b.connect()
    ch = conn.channel()
    q = "wt-page-mixed"
    ch.queue_declare(q)
    publish_many(ch, q, n)
    # basic.get reads the head back from disk.
    for i in range(3):
        method, _, payload = ch.basic_get(q, auto_ack=True)
        assert payload == body(i)
    # Unacked deliveries go back to the front, flagged, ahead of the paged tail.
    taken = []
    for _ in range(5):
        method, _, payload = ch.basic_get(q, auto_ack=False)
        taken.append(method.delivery_tag)
    ch.basic_nack(taken[-1], multiple=True, requeue=True)
    method, _, payload = ch.basic_get(q, auto_ack=True)
    assert payload == body(3) and method.redelivered
    assert ch.queue_purge(q).method.message_count == n - 4
    assert queue_depth(ch, q) == 0
    publish_many(ch, q, 10, start=n)
    got, _ = consume_all(ch, q, 10)
    assert got == list(range(n, n + 10))
    conn.close()


def test_ttl_expires_paged_messages_without_reading_them(small_budget):
    b = small_budget
    conn = b.connect()
    ch = conn.channel()
    q = "wt-page-ttl"
    ch.queue_declare(q, arguments={"x-message-ttl": 1500})
    publish_many(ch, q, 10000)
    assert queue_depth(ch, q) == 10000
    wait_until(lambda: queue_depth(ch, q) == 0, timeout=10,
               message="paged messages past their TTL were not dropped")
    ch.basic_publish("", q, body(7))
    assert ch.basic_get(q, auto_ack=True)[2] == body(7)
    conn.close()


def test_fanout_to_durable_and_transient_queues_past_the_budget(small_budget):
    b = small_budget
    n = 8000
    conn = b.connect()
    ch = conn.channel()
    ch.exchange_declare("wt-page-fan", "fanout")
    for q, durable in (("wt-page-fan-d", True), ("wt-page-fan-t", False)):
        ch.queue_declare(q, durable=durable)
        ch.queue_bind(q, "wt-page-fan")
    for i in range(n):
        ch.basic_publish("wt-page-fan", "", body(i), PERSISTENT)
    for q in ("wt-page-fan-d", "wt-page-fan-t"):
        got, _ = consume_all(conn.channel(), q, n)
        assert got == list(range(n)), q
    conn.close()


def test_memory_pressure_pages_out_a_resident_backlog():
    # A generous budget while filling, so the backlog sits in memory; then a second queue
    # fills past it and the broker sheds the first one's tail to make room.
    b = start_warren("warren-paging-shed-", ["--queue-memory-budget", "24MiB"])
    try:
        conn = b.connect()
        ch = conn.channel()
        ch.queue_declare("wt-shed-a")
        ch.queue_declare("wt-shed-b")
        publish_many(ch, "wt-shed-a", 20000)      # ~20 MiB resident
        assert paging_files(b) == 0
        publish_many(ch, "wt-shed-b", 20000)      # over the budget
        wait_until(lambda: paging_files(b) > 10 * 1024 * 1024, timeout=5,
                   message="nothing was paged out under memory pressure")
        for q in ("wt-shed-a", "wt-shed-b"):
            got, _ = consume_all(conn.channel(), q, 20000)
            assert got == list(range(20000)), q
        conn.close()
    finally:
        b.process.stop_and_clean()
