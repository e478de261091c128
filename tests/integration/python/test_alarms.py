"""Memory and disk alarms: publishers get connection.blocked with RabbitMQ's reason and are
not read from until the alarm clears; consumers keep draining."""
import threading
import time

import pika
import pytest

from conftest import requires_own_broker, start_warren

pytestmark = requires_own_broker


def blocked_connection(b, events):
    params = b.params()
    conn = pika.BlockingConnection(params)
    conn.add_on_connection_blocked_callback(lambda c, m: events.append(("blocked", m.method.reason)))
    conn.add_on_connection_unblocked_callback(lambda c, m: events.append(("unblocked",)))
    return conn


@pytest.mark.parametrize("args,reason", [
    (("--disk-free-limit", "1000TB"), "low on disk"),
    (("--memory-high-watermark", "1MB"), "low on memory"),
])
def test_alarm_blocks_publishers_but_not_consumers(args, reason):
    b = start_warren(extra_args=args)
    try:
        # A consumer on its own connection keeps working during the alarm.
        setup = b.connect()
        sch = setup.channel()
        q = sch.queue_declare("", exclusive=False, auto_delete=False).method.queue
        events = []
        pub = blocked_connection(b, events)
        pch = pub.channel()
        pch.basic_publish("", q, b"first")  # the publish that reveals a publisher
        deadline = time.monotonic() + 5
        while not events and time.monotonic() < deadline:
            pub.process_data_events(time_limit=0.1)
        assert events == [("blocked", reason)]
        # The consumer connection is not a publisher: it is still served.
        assert sch.queue_declare(q, passive=True).method.queue == q
        setup.close()
        # Not pub.close(): a blocked connection is not read from (as in RabbitMQ), so its
        # connection.close would wait for the alarm; the broker's shutdown closes it.
    finally:
        b.process.stop()


def test_publishes_wait_while_blocked_and_flow_after():
    """A publisher blocked by a disk alarm: its messages are not read (not lost) while
    blocked. With a limit that cannot clear, the queue stays as it was before the block."""
    b = start_warren(extra_args=("--disk-free-limit", "1000TB"))
    try:
        conn = b.connect()
        ch = conn.channel()
        q = ch.queue_declare("wt-alarm-q", durable=True).method.queue
        other = b.connect()
        och = other.channel()
        before = och.queue_declare(q, passive=True).method.message_count
        for i in range(10):
            ch.basic_publish("", q, b"m%d" % i)
        conn.process_data_events(time_limit=1)
        assert och.queue_declare(q, passive=True).method.message_count <= before + 1
        other.close()
    finally:
        b.process.kill()
