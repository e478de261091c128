"""kill -9 safety: every message the broker confirmed is still there after a crash.

Several publishers send persistent messages with publisher confirms to a durable queue while
the broker is killed with SIGKILL at a random moment; after a restart every confirmed message
must be present (duplicates are allowed only for unconfirmed ones, which may or may not have
made it). Repeated 20 times with different timings."""
import random
import threading
import time

import pika
import pytest

from conftest import requires_own_broker
from support import drain_get

pytestmark = requires_own_broker

ROUNDS = 20
PUBLISHERS = 3
PERSISTENT = pika.BasicProperties(delivery_mode=2)


def publisher(broker, queue, tag, confirmed, stop):
    try:
        conn = broker.connect()
        ch = conn.channel()
        ch.confirm_delivery()
        n = 0
        while not stop.is_set():
            body = ("%s-%d" % (tag, n)).encode()
            ch.basic_publish("", queue, body, PERSISTENT)  # returns once confirmed
            confirmed.append(body)
            n += 1
    except (pika.exceptions.AMQPError, OSError):
        pass  # the broker died under us: expected


@pytest.mark.timeout(300)
def test_confirmed_persistent_messages_survive_kill_9(fresh_broker):
    b = fresh_broker
    queue = "wt-crash-q"
    rng = random.Random(20261123)
    conn = b.connect()
    conn.channel().queue_declare(queue, durable=True)
    conn.close()
    expected = set()
    for round_no in range(ROUNDS):
        confirmed, stop = [], threading.Event()
        threads = [threading.Thread(target=publisher,
                                    args=(b, queue, "r%d-p%d" % (round_no, i), confirmed, stop))
                   for i in range(PUBLISHERS)]
        for t in threads:
            t.start()
        time.sleep(rng.uniform(0.05, 0.6))
        b.process.kill()  # SIGKILL mid-stream
        stop.set()
        for t in threads:
            t.join(timeout=20)
        expected.update(confirmed)
        b.process.start()
        conn = b.connect()
        ch = conn.channel()
        ok = ch.queue_declare(queue, durable=True, passive=True).method
        bodies = set()
        for _ in range(ok.message_count):
            method, _props, body = ch.basic_get(queue)
            bodies.add(body)
        conn.close()  # unacked: they all go back to the queue, in order
        missing = expected - bodies
        assert not missing, "round %d: %d confirmed message(s) lost, e.g. %r" % (
            round_no, len(missing), sorted(missing)[:5])
    # Finally drain everything so the queue ends empty and acks are logged.
    conn = b.connect()
    ch = conn.channel()
    remaining = drain_get(ch, queue, max_messages=1_000_000)
    assert expected <= set(remaining)
    conn.close()
    b.process.restart()
    conn = b.connect()
    assert conn.channel().queue_declare(queue, durable=True, passive=True).method.message_count == 0
    conn.close()


def test_committed_transaction_survives_kill_9(fresh_broker):
    b = fresh_broker
    conn = b.connect()
    ch = conn.channel()
    ch.queue_declare("wt-tx-crash", durable=True)
    ch.tx_select()
    for i in range(100):
        ch.basic_publish("", "wt-tx-crash", b"tx-%d" % i, PERSISTENT)
    ch.tx_commit()  # commit-ok: the persistent messages are on disk
    b.process.kill()
    b.process.start()
    conn = b.connect()
    assert drain_get(conn.channel(), "wt-tx-crash") == [b"tx-%d" % i for i in range(100)]
    conn.close()
