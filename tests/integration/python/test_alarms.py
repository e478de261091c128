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


def test_memory_alarm_clears_and_publisher_resumes():
    """Large messages (each its own mapping, so freeing returns memory at once) push RSS over
    a 48 MiB watermark; the publisher is blocked; purges from another connection bring RSS
    down, the alarm clears, the publisher gets connection.unblocked, its waiting publishes go
    through and a message it sends afterwards arrives. Paging is held off (a queue memory
    budget above the watermark): by default the budget is half the watermark, and bodies past
    it would go to disk before the alarm.

    The publisher runs in its own thread with no blocked-connection timeout: a blocked
    connection is not read from, so a publish caught mid-write waits for the unblock (as
    with RabbitMQ) while the test purges."""
    b = start_warren(extra_args=("--memory-high-watermark", "48MiB",
                                 "--queue-memory-budget", "1GB"))
    try:
        admin = b.connect()
        ach = admin.channel()
        q = ach.queue_declare("wt-mem-q").method.queue
        after = ach.queue_declare("wt-mem-after").method.queue
        events = []
        failures = []

        def publish():
            try:
                conn = pika.BlockingConnection(b.params(blocked_connection_timeout=None))
                conn.add_on_connection_blocked_callback(
                    lambda c, m: events.append(("blocked", m.method.reason)))
                conn.add_on_connection_unblocked_callback(
                    lambda c, m: events.append(("unblocked",)))
                ch = conn.channel()
                big = b"x" * (1024 * 1024)
                for _ in range(60):
                    ch.basic_publish("", q, big)

                def wait_for(event):
                    deadline = time.monotonic() + 15
                    while event not in events and time.monotonic() < deadline:
                        conn.process_data_events(time_limit=0.1)

                wait_for(("blocked", "low on memory"))
                ch.basic_publish("", after, b"after the alarm")  # not read while blocked
                wait_for(("unblocked",))
                conn.close()
            except Exception as e:  # reported by the main thread
                failures.append(e)

        publisher = threading.Thread(target=publish, daemon=True)
        publisher.start()
        # The broker's log, not the publisher's callback, says when it blocked: pika runs
        # that callback only once a publish caught mid-write has gone out.
        deadline = time.monotonic() + 10
        while "blocked: low on memory" not in b.process.log_path.read_text(errors="replace"):
            assert time.monotonic() < deadline, ("never blocked", events, failures)
            admin.process_data_events(time_limit=0.1)
        # Purge until the publisher is through: what it sends after the unblock lands in the
        # same queue and must not raise the alarm again.
        deadline = time.monotonic() + 20
        while publisher.is_alive() and time.monotonic() < deadline:
            ach.queue_purge(q)
            admin.process_data_events(time_limit=0.2)
        publisher.join(timeout=1)
        assert not publisher.is_alive(), "the publisher is still blocked: %r" % events
        assert not failures, failures
        assert events == [("blocked", "low on memory"), ("unblocked",)], events
        method, _props, body = ach.basic_get(after, auto_ack=True)
        assert method is not None and body == b"after the alarm"
        admin.close()
    finally:
        b.process.stop()
