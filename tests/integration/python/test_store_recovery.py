"""Start-up survives damaged store files and says what it skipped: a torn tail (a crash in
the middle of a write) is truncated, a damaged record is skipped, and the broker starts."""
import os
from pathlib import Path

import pika

from conftest import requires_own_broker
from support import drain_get

pytestmark = requires_own_broker

PERSISTENT = pika.BasicProperties(delivery_mode=2)


def publish(b, queue, bodies):
    conn = b.connect()
    ch = conn.channel()
    ch.queue_declare(queue, durable=True)
    ch.confirm_delivery()
    for body in bodies:
        ch.basic_publish("", queue, body, PERSISTENT)
    conn.close()


def segments(b):
    return sorted((Path(b.process.data_dir) / "messages").glob("*.seg"))


def log_text(b):
    return Path(b.process.log_path).read_text(errors="replace")


def test_torn_tail_is_truncated_and_reported(fresh_broker):
    b = fresh_broker
    bodies = [b"m%d" % i for i in range(50)]
    publish(b, "wt-torn", bodies)
    b.process.stop()
    seg = [s for s in segments(b) if s.stat().st_size > 0][-1]
    with open(seg, "ab") as f:
        f.write(b"\x00\x00\x01\x00\xde\xad")  # half a record header and nothing else
    b.process.start()
    assert "torn record" in log_text(b) and "truncated 6 bytes" in log_text(b)
    conn = b.connect()
    assert drain_get(conn.channel(), "wt-torn") == bodies
    conn.close()


def test_damaged_record_is_skipped_and_the_broker_starts(fresh_broker):
    b = fresh_broker
    publish(b, "wt-damaged", [b"a" * 100, b"b" * 100, b"c" * 100])
    b.process.stop()
    seg = [s for s in segments(b) if s.stat().st_size > 0][-1]
    data = bytearray(seg.read_bytes())
    pos = data.find(b"b" * 100)
    assert pos > 0
    data[pos + 50] ^= 0xFF  # flip bits inside the second message's record
    seg.write_bytes(bytes(data))
    b.process.start()
    text = log_text(b)
    assert "torn record" in text or "damaged record" in text
    conn = b.connect()
    got = drain_get(conn.channel(), "wt-damaged")
    conn.close()
    assert got[:1] == [b"a" * 100], "records before the damage are intact"
    assert b"b" * 100 not in got, "the damaged record is never delivered"


def test_garbage_segment_file_does_not_stop_start_up(fresh_broker):
    b = fresh_broker
    publish(b, "wt-garbage", [b"keep"])
    b.process.stop()
    (Path(b.process.data_dir) / "messages" / "0000000000.seg").write_bytes(os.urandom(4096))
    b.process.start()
    conn = b.connect()
    assert drain_get(conn.channel(), "wt-garbage") == [b"keep"]
    conn.close()
