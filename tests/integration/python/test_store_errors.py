"""The message log cannot write: persistent publishes are nacked, nothing confirmed is lost.

Warren-only. The broker runs under a file size limit (`prlimit --fsize`), so its message
log segment hits EFBIG part-way — the same path as a full disk, without needing a small
filesystem. RabbitMQ has no equivalent to compare with; the rule is the durability
guarantee: a confirm means on disk, an I/O error is never acknowledged as success.
"""
import tempfile

import pika
import pytest

from conftest import Broker, WarrenProcess, requires_own_broker
from support import drain_get

pytestmark = requires_own_broker

PERSISTENT = pika.BasicProperties(delivery_mode=2)
LIMIT = 400_000  # bytes a file may grow to


def test_write_errors_nack_publishers_and_keep_confirmed_messages():
    proc = WarrenProcess(tempfile.mkdtemp(prefix="warren-efbig-"))
    proc.wrapper = ["prlimit", "--fsize=%d" % LIMIT, "--"]
    proc.start()
    b = Broker("127.0.0.1", proc.port, process=proc)
    try:
        conn = b.connect()
        ch = conn.channel()
        ch.confirm_delivery()
        ch.queue_declare("wt-efbig", durable=True)
        confirmed, nacked = [], None
        for i in range(2000):
            body = b"%05d" % i + b"x" * 1000
            try:
                ch.basic_publish("", "wt-efbig", body, PERSISTENT)
            except pika.exceptions.NackError:
                nacked = i
                break
            confirmed.append(body)
        assert nacked is not None, "2 MB of persistent messages confirmed past a %d-byte limit" % LIMIT
        assert 0 < len(confirmed) < LIMIT // 1000
        assert "write at offset" in b.process.log_path.read_text()
        # The broker and the connection carry on: transient traffic still flows, and a
        # later persistent publish is nacked again rather than confirmed.
        other = conn.channel()
        other.queue_declare("wt-efbig-transient")
        other.basic_publish("", "wt-efbig-transient", b"still here")
        assert drain_get(other, "wt-efbig-transient") == [b"still here"]
        with pytest.raises(pika.exceptions.NackError):
            ch.basic_publish("", "wt-efbig", b"after the error", PERSISTENT)
        conn.close()
        proc.stop()

        proc.wrapper = []
        proc.start()
        conn = b.connect()
        ch = conn.channel()
        got = drain_get(ch, "wt-efbig", max_messages=5000)
        # Every confirmed message is there, first and in order; nacked ones may follow
        # (their bytes reached the file once the limit was gone), never ahead of them.
        assert got[:len(confirmed)] == confirmed
        conn.close()
    finally:
        proc.stop_and_clean()
