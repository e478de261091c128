"""One slow message must not pin the message log: compaction moves it out of old segments.

Warren-only. The broker runs with 1 MiB log segments; a durable queue keeps one old
message while another queue streams megabytes through, so the oldest segment holds back
all newer ones until the broker relocates that message. Afterwards the log is small again,
and the message is still there, in its place and with its redelivered flag, after kill -9.
"""
from pathlib import Path

import pika

from conftest import requires_own_broker, start_warren
from support import confirmed, drain_get, wait_until

pytestmark = requires_own_broker

PERSISTENT = pika.BasicProperties(delivery_mode=2)


def log_bytes(broker):
    d = Path(broker.process.data_dir) / "messages"
    return sum(f.stat().st_size for f in d.glob("*.seg"))


def test_a_lingering_message_is_relocated_and_survives_kill():
    b = start_warren("warren-compact-", ["--log-segment-size", "1MiB"])
    try:
        conn = b.connect()
        ch = confirmed(conn.channel())
        ch.queue_declare("wt-slow", durable=True)
        ch.queue_declare("wt-fast", durable=True)
        ch.basic_publish("", "wt-slow", b"old-1", PERSISTENT)
        ch.basic_publish("", "wt-slow", b"old-2", PERSISTENT)
        # Deliver old-1 and requeue it: it must come back flagged redelivered.
        method, _, body = ch.basic_get("wt-slow", auto_ack=False)
        assert body == b"old-1"
        ch.basic_nack(method.delivery_tag, requeue=True)
        # 8 MiB through the other queue: eight segments, all pinned by the first.
        fast = conn.channel()
        chunk = b"f" * 65536
        for i in range(128):
            fast.basic_publish("", "wt-fast", chunk, PERSISTENT)
        assert len(drain_get(fast, "wt-fast", max_messages=200)) == 128
        ch.basic_publish("", "wt-slow", b"new-3", PERSISTENT)
        wait_until(lambda: log_bytes(b) < 3 * 1024 * 1024, timeout=15,
                   message="old segments were not reclaimed (%d bytes)" % log_bytes(b))
        assert "compacted message log segment" in b.process.log_path.read_text()
        conn.close()

        b.process.kill()
        b.process.start()
        conn = b.connect()
        ch = conn.channel()
        got = []
        for _ in range(3):
            method, _, body = ch.basic_get("wt-slow", auto_ack=True)
            got.append((body, method.redelivered))
        assert got == [(b"old-1", True), (b"old-2", False), (b"new-3", False)]
        assert ch.queue_declare("wt-fast", durable=True).method.message_count == 0
        conn.close()
    finally:
        b.process.stop_and_clean()
