"""Exclusive consumers and consumer cancel notifications (basic.cancel from the broker)."""
import pytest
from pika import spec

from support import channel_error, confirmed, pump_until, uname


def in_exclusive_use(q, vhost):
    return "ACCESS_REFUSED - queue '%s' in vhost '%s' in exclusive use" % (q, vhost)


@pytest.fixture
def shared_queue(connect, res):
    """A non-exclusive queue declared on its own connection."""
    q = res.queue()
    ch = confirmed(connect().channel())
    ch.queue_declare(q)
    return q


# ---------------------------------------------------------------------------
# Exclusive consumers
# ---------------------------------------------------------------------------

def test_second_consumer_on_exclusively_consumed_queue(connect, shared_queue, broker):
    q = shared_queue
    connect().channel().basic_consume(q, lambda *a: None, exclusive=True)
    assert channel_error(connect().channel().basic_consume, q, lambda *a: None) == (
        403, in_exclusive_use(q, broker.vhost))


def test_second_exclusive_consumer(connect, shared_queue, broker):
    q = shared_queue
    connect().channel().basic_consume(q, lambda *a: None, exclusive=True)
    assert channel_error(connect().channel().basic_consume, q, lambda *a: None, exclusive=True) == (
        403, in_exclusive_use(q, broker.vhost))


def test_exclusive_consume_when_other_consumers_exist(connect, shared_queue, broker):
    q = shared_queue
    connect().channel().basic_consume(q, lambda *a: None)
    assert channel_error(connect().channel().basic_consume, q, lambda *a: None, exclusive=True) == (
        403, in_exclusive_use(q, broker.vhost))


def test_exclusive_consume_refused_even_on_same_channel(connection, shared_queue, broker):
    q = shared_queue
    ch = connection.channel()
    ch.basic_consume(q, lambda *a: None)
    assert channel_error(ch.basic_consume, q, lambda *a: None, exclusive=True) == (
        403, in_exclusive_use(q, broker.vhost))


def test_basic_get_allowed_on_exclusively_consumed_queue(connect, shared_queue):
    q = shared_queue
    owner = connect()
    owner.channel().basic_consume(q, lambda *a: None, exclusive=True)
    other = confirmed(connect().channel())
    assert other.basic_get(q) == (None, None, None)


def test_exclusive_consumer_released_on_cancel(connect, shared_queue):
    q = shared_queue
    ch = connect().channel()
    tag = ch.basic_consume(q, lambda *a: None, exclusive=True)
    ch.basic_cancel(tag)
    connect().channel().basic_consume(q, lambda *a: None)


def test_exclusive_consumer_released_when_its_connection_closes(connect, shared_queue):
    q = shared_queue
    c = connect()
    c.channel().basic_consume(q, lambda *a: None, exclusive=True)
    c.close()
    other = connect().channel()
    other.basic_consume(q, lambda *a: None, exclusive=True)
    assert other.queue_declare(q, passive=True).method.consumer_count == 1


def test_exclusive_consumer_gets_all_messages(connect, shared_queue):
    q = shared_queue
    conn = connect()
    got = []
    conn.channel().basic_consume(q, lambda c, m, p, b: got.append(b), exclusive=True, auto_ack=True)
    pub = confirmed(connect().channel())
    for i in range(5):
        pub.basic_publish("", q, b"%d" % i)
    pump_until(conn, lambda: len(got) == 5)
    assert got == [b"0", b"1", b"2", b"3", b"4"]


# ---------------------------------------------------------------------------
# Consumer cancel notification
# ---------------------------------------------------------------------------

def _raw_consumer(raw, q, capabilities=None):
    c = raw()
    if capabilities is None:
        c.handshake()
    else:
        c.handshake(capabilities=capabilities)
    c.open_channel(1)
    c.send_method(1, spec.Basic.Consume(queue=q, consumer_tag=""))
    return c, c.expect(spec.Basic.ConsumeOk).method.consumer_tag


def test_queue_deletion_cancels_consumers(raw, channel, res):
    q = res.queue()
    channel.queue_declare(q)
    c, tag = _raw_consumer(raw, q)
    channel.queue_delete(q)
    frm = c.expect(spec.Basic.Cancel)
    assert frm.channel_number == 1
    assert (frm.method.consumer_tag, frm.method.nowait) == (tag, True)
    # the client may still cancel the (now gone) consumer: cancel-ok, no error
    c.send_method(1, spec.Basic.Cancel(consumer_tag=tag))
    assert c.expect(spec.Basic.CancelOk).method.consumer_tag == tag


def test_no_cancel_notification_without_capability(raw, channel, res):
    """Without consumer_cancel_notify in the client's capabilities the consumer
    just silently disappears."""
    q = res.queue()
    channel.queue_declare(q)
    c, tag = _raw_consumer(raw, q, capabilities={"publisher_confirms": True})
    channel.queue_delete(q)
    with pytest.raises(TimeoutError):
        c.recv_method(timeout=1.0)


def test_pika_cancel_callback(connection, connect, res):
    q = res.queue()
    ch = connection.channel()
    ch.queue_declare(q)
    cancelled = []
    ch.add_on_cancel_callback(lambda frame: cancelled.append(frame.method))
    tag = ch.basic_consume(q, lambda *a: None)
    connect().channel().queue_delete(q)
    pump_until(connection, lambda: cancelled)
    assert cancelled[0].consumer_tag == tag
    assert ch.is_open


def test_queue_deletion_cancels_consumers_on_every_channel(connection, res):
    """Deleting a queue cancels consumers on every channel that had one."""
    q = res.queue()
    a = connection.channel()
    b = connection.channel()
    a.queue_declare(q)
    cancelled = []
    for ch in (a, b):
        ch.add_on_cancel_callback(lambda frame: cancelled.append(frame.method.consumer_tag))
        ch.basic_consume(q, lambda *args: None)
    connection.channel().queue_delete(q)
    pump_until(connection, lambda: len(cancelled) == 2)


def test_channel_usable_after_cancel_notification(raw, res, channel):
    q = res.queue()
    channel.queue_declare(q, auto_delete=True)
    c, tag = _raw_consumer(raw, q)
    channel.queue_delete(q)
    assert c.expect(spec.Basic.Cancel).method.consumer_tag == tag
    c.send_method(1, spec.Queue.Declare(queue=uname("wt-q"), exclusive=True))
    c.expect(spec.Queue.DeclareOk)
