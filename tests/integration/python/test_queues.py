"""queue.declare / purge / delete, server-named, exclusive and auto-delete queues."""
import re

from support import (SERVER_NAMED_QUEUE_RE, channel_error, drain_get, inequivalent,
                     confirmed, locked_queue, no_queue, pump_until, uname, wait_until)


def test_declare_returns_counts(connection, res):
    q = res.queue()
    ch = confirmed(connection.channel())   # publishes below are confirmed = enqueued
    ok = ch.queue_declare(q).method
    assert (ok.queue, ok.message_count, ok.consumer_count) == (q, 0, 0)
    consumer = connection.channel()
    consumer.basic_qos(prefetch_count=3)
    for i in range(3):
        ch.basic_publish("", q, b"%d" % i)
    got = []
    consumer.basic_consume(q, lambda c, m, p, b: got.append(b))
    pump_until(connection, lambda: len(got) == 3)   # 3 unacked, consumer is now full
    for i in range(2):
        ch.basic_publish("", q, b"more")
    ok = ch.queue_declare(q).method
    # message_count counts only ready messages, not unacknowledged ones
    assert (ok.message_count, ok.consumer_count) == (2, 1)


def test_passive_declare_returns_counts(channel, res):
    q = res.queue()
    channel.queue_declare(q)
    channel.basic_publish("", q, b"a")
    channel.basic_publish("", q, b"b")
    ok = channel.queue_declare(q, passive=True).method
    assert (ok.queue, ok.message_count, ok.consumer_count) == (q, 2, 0)


def test_passive_declare_missing(channel, broker):
    q = uname("wt-q")
    assert channel_error(channel.queue_declare, q, passive=True) == (404, no_queue(q, broker.vhost))


def test_passive_declare_empty_name(channel, broker):
    assert channel_error(channel.queue_declare, "", passive=True) == (404, no_queue("", broker.vhost))


def test_passive_declare_ignores_other_properties(channel, res):
    q = res.queue()
    channel.queue_declare(q)
    channel.queue_declare(q, passive=True, durable=True, auto_delete=True, arguments={"x-max-length": 1})


def test_redeclare_same_properties(channel, res):
    q = res.queue()
    channel.queue_declare(q, durable=False, arguments={"x-max-length": 10})
    channel.queue_declare(q, durable=False, arguments={"x-max-length": 10})


def test_redeclare_different_durable(channel, res, broker):
    q = res.queue()
    channel.queue_declare(q)
    assert channel_error(channel.queue_declare, q, durable=True) == (
        406, inequivalent("durable", "queue", q, "true", "false", broker.vhost))


def test_redeclare_different_auto_delete(channel, res, broker):
    q = res.queue()
    channel.queue_declare(q, auto_delete=True)
    assert channel_error(channel.queue_declare, q, auto_delete=False) == (
        406, inequivalent("auto_delete", "queue", q, "false", "true", broker.vhost))


def test_redeclare_different_argument(channel, res, broker):
    q = res.queue()
    channel.queue_declare(q)
    assert channel_error(channel.queue_declare, q, arguments={"x-max-length": 10}) == (
        406, "PRECONDITION_FAILED - inequivalent arg 'x-max-length' for queue '%s' in vhost '%s': "
             "received the value '10' of type 'signedint' but current is none" % (q, broker.vhost))


def test_server_named_queue(channel):
    names = {channel.queue_declare("", exclusive=True).method.queue for _ in range(5)}
    assert len(names) == 5
    for name in names:
        assert re.match(SERVER_NAMED_QUEUE_RE, name), name


def test_server_named_queue_is_usable_by_name(channel):
    q = channel.queue_declare("", exclusive=True).method.queue
    channel.basic_publish("", q, b"hello")
    assert channel.queue_declare(q, passive=True).method.message_count == 1
    assert drain_get(channel, q) == [b"hello"]


def test_declare_reserved_amq_prefix(channel):
    q = "amq." + uname("wt-q")
    assert channel_error(channel.queue_declare, q) == (
        403, "ACCESS_REFUSED - queue name '%s' contains reserved prefix 'amq.*'" % q)


def test_declare_amq_gen_name_yourself(channel):
    q = "amq.gen-" + uname("wt")
    assert channel_error(channel.queue_declare, q) == (
        403, "ACCESS_REFUSED - queue name '%s' contains reserved prefix 'amq.*'" % q)


def test_redeclare_existing_server_named_queue(connection):
    """Surprise: the reserved-prefix check comes before the existence check for
    queues, so even the owner cannot redeclare its amq.gen-* queue non-passively
    (for exchanges an existing amq.* exchange can be redeclared)."""
    ch = connection.channel()
    q = ch.queue_declare("", exclusive=True).method.queue
    assert channel_error(ch.queue_declare, q, exclusive=True) == (
        403, "ACCESS_REFUSED - queue name '%s' contains reserved prefix 'amq.*'" % q)
    assert connection.channel().queue_declare(q, passive=True).method.queue == q


def test_passive_declare_missing_amq_name(channel, broker):
    q = "amq." + uname("wt-q")
    assert channel_error(channel.queue_declare, q, passive=True) == (404, no_queue(q, broker.vhost))


# ---------------------------------------------------------------------------
# The "last declared queue" on a channel (queue name '')
# ---------------------------------------------------------------------------

def test_empty_queue_name_without_previous_declare(connection):
    for op in (lambda ch: ch.basic_get(""),
               lambda ch: ch.queue_bind("", "amq.direct", "k"),
               lambda ch: ch.queue_purge(""),
               lambda ch: ch.queue_delete(""),
               lambda ch: ch.basic_consume("", lambda *a: None)):
        ch = connection.channel()
        assert channel_error(op, ch) == (404, "NOT_FOUND - no previously declared queue")


def test_empty_queue_name_means_last_declared_queue(channel, broker):
    q = channel.queue_declare("", exclusive=True).method.queue
    channel.basic_publish("", q, b"x")
    assert channel.basic_get("", auto_ack=True)[2] == b"x"
    channel.queue_bind("", "amq.direct", q)
    channel.basic_publish("amq.direct", q, b"y")
    assert channel.queue_purge("").method.message_count == 1
    assert channel.queue_delete("").method.message_count == 0
    assert channel_error(channel.queue_declare, q, passive=True) == (404, no_queue(q, broker.vhost))


# ---------------------------------------------------------------------------
# purge / delete
# ---------------------------------------------------------------------------

def test_purge_returns_count_and_empties(channel, res):
    q = res.queue()
    channel.queue_declare(q)
    for i in range(4):
        channel.basic_publish("", q, b"m")
    assert channel.queue_purge(q).method.message_count == 4
    assert channel.queue_declare(q, passive=True).method.message_count == 0


def test_purge_does_not_touch_unacked(connection, res):
    q = res.queue()
    ch = confirmed(connection.channel())
    ch.queue_declare(q)
    for i in range(3):
        ch.basic_publish("", q, b"m%d" % i)
    method, _, _ = ch.basic_get(q)                  # m0 unacked
    assert ch.queue_purge(q).method.message_count == 2
    ch.basic_reject(method.delivery_tag, requeue=True)
    assert drain_get(ch, q) == [b"m0"]


def test_purge_missing(channel, broker):
    q = uname("wt-q")
    assert channel_error(channel.queue_purge, q) == (404, no_queue(q, broker.vhost))


def test_delete_returns_message_count(channel, res, broker):
    q = res.queue()
    channel.queue_declare(q)
    for i in range(3):
        channel.basic_publish("", q, b"m")
    assert channel.queue_delete(q).method.message_count == 3
    assert channel_error(channel.queue_declare, q, passive=True) == (404, no_queue(q, broker.vhost))


def test_delete_missing_is_ok(channel):
    assert channel.queue_delete(uname("wt-q")).method.message_count == 0


def test_delete_if_empty(channel, res, broker):
    q = res.queue()
    channel.queue_declare(q)
    channel.basic_publish("", q, b"m")
    assert channel_error(channel.queue_delete, q, if_empty=True) == (
        406, "PRECONDITION_FAILED - queue '%s' in vhost '%s' not empty" % (q, broker.vhost))


def test_delete_if_empty_on_empty_queue(channel, res):
    q = res.queue()
    channel.queue_declare(q)
    assert channel.queue_delete(q, if_empty=True).method.message_count == 0


def test_delete_if_unused(connection, res, broker):
    q = res.queue()
    ch = connection.channel()
    ch.queue_declare(q)
    ch.basic_consume(q, lambda *a: None)
    other = connection.channel()
    assert channel_error(other.queue_delete, q, if_unused=True) == (
        406, "PRECONDITION_FAILED - queue '%s' in vhost '%s' in use" % (q, broker.vhost))


def test_delete_removes_bindings(channel, res):
    q = res.queue()
    x = res.exchange()
    channel.exchange_declare(x, "fanout")
    channel.queue_declare(q)
    channel.queue_bind(q, x)
    channel.queue_delete(q)
    channel.queue_declare(q)
    channel.basic_publish(x, "", b"x")
    assert drain_get(channel, q) == []


# ---------------------------------------------------------------------------
# Exclusive queues
# ---------------------------------------------------------------------------

def test_exclusive_queue_locked_for_other_connections(connect, res, broker):
    q = res.queue()
    owner = connect().channel()
    owner.queue_declare(q, exclusive=True)
    other = connect()
    ops = {
        "declare": lambda ch: ch.queue_declare(q),
        "declare exclusive": lambda ch: ch.queue_declare(q, exclusive=True),
        "passive declare": lambda ch: ch.queue_declare(q, passive=True),
        "consume": lambda ch: ch.basic_consume(q, lambda *a: None),
        "get": lambda ch: ch.basic_get(q),
        "bind": lambda ch: ch.queue_bind(q, "amq.direct", "k"),
        "purge": lambda ch: ch.queue_purge(q),
        "delete": lambda ch: ch.queue_delete(q),
    }
    for name, op in ops.items():
        assert channel_error(op, other.channel()) == (405, locked_queue(q, broker.vhost)), name


def test_other_connections_may_publish_to_exclusive_queue(connect, res):
    q = res.queue()
    owner = connect().channel()
    owner.queue_declare(q, exclusive=True)
    owner.queue_bind(q, "amq.direct", q)
    other = confirmed(connect().channel())
    other.basic_publish("", q, b"direct")
    other.basic_publish("amq.direct", q, b"via amq.direct")
    assert drain_get(owner, q) == [b"direct", b"via amq.direct"]


def test_unbind_exclusive_queue_from_other_connection(connect, res, broker):
    q = res.queue()
    owner = connect().channel()
    owner.queue_declare(q, exclusive=True)
    owner.queue_bind(q, "amq.direct", "k1")
    other = connect()
    # unbinding a binding that does not exist is a no-op, checked before exclusivity
    other.channel().queue_unbind(q, "amq.direct", "no-such-key")
    assert channel_error(other.channel().queue_unbind, q, "amq.direct", "k1") == (
        405, locked_queue(q, broker.vhost))


def test_redeclare_exclusive_queue_as_non_exclusive_on_same_connection(connection, res, broker):
    q = res.queue()
    ch = connection.channel()
    ch.queue_declare(q, exclusive=True)
    assert channel_error(connection.channel().queue_declare, q, exclusive=False) == (
        405, locked_queue(q, broker.vhost))


def test_redeclare_shared_queue_as_exclusive_from_other_connection(connect, res, broker):
    q = res.queue()
    connect().channel().queue_declare(q, auto_delete=True)
    assert channel_error(connect().channel().queue_declare, q, exclusive=True, auto_delete=True) == (
        405, locked_queue(q, broker.vhost))


def test_exclusive_queue_usable_from_every_channel_of_owner(connection):
    a = connection.channel()
    q = a.queue_declare("", exclusive=True).method.queue
    b = confirmed(connection.channel())
    b.queue_declare(q, passive=True)
    b.basic_publish("", q, b"x")
    assert drain_get(b, q) == [b"x"]


def test_exclusive_queue_survives_closing_declaring_channel(connection):
    a = connection.channel()
    q = a.queue_declare("", exclusive=True).method.queue
    a.close()
    b = connection.channel()
    assert b.queue_declare(q, passive=True).method.queue == q


def test_exclusive_queue_vanishes_when_connection_closes(connect, broker):
    owner = connect()
    q = owner.channel().queue_declare("", exclusive=True, durable=True).method.queue
    observer = connect().channel()
    assert channel_error(observer.queue_declare, q, passive=True) == (405, locked_queue(q, broker.vhost))
    owner.close()

    def gone():
        ch = observer.connection.channel()
        try:
            ch.queue_declare(q, passive=True)
            ch.close()
            return False
        except Exception as exc:  # noqa: BLE001
            assert getattr(exc, "reply_code", None) == 404, exc
            assert exc.reply_text == no_queue(q, broker.vhost)
            return True
    wait_until(gone, timeout=5, message="exclusive queue still there after its connection closed")


# ---------------------------------------------------------------------------
# Auto-delete queues
# ---------------------------------------------------------------------------

def test_auto_delete_queue_deleted_when_last_consumer_cancels(channel, res, broker):
    q = res.queue()
    channel.queue_declare(q, auto_delete=True)
    t1 = channel.basic_consume(q, lambda *a: None)
    t2 = channel.basic_consume(q, lambda *a: None)
    channel.basic_cancel(t1)
    assert channel.queue_declare(q, passive=True).method.consumer_count == 1
    channel.basic_cancel(t2)
    assert channel_error(channel.queue_declare, q, passive=True) == (404, no_queue(q, broker.vhost))


def test_auto_delete_queue_deleted_when_consumer_channel_closes(connection, res, broker):
    q = res.queue()
    ch = connection.channel()
    ch.queue_declare(q, auto_delete=True)
    ch.basic_consume(q, lambda *a: None)
    ch.close()
    assert channel_error(connection.channel().queue_declare, q, passive=True) == (404, no_queue(q, broker.vhost))


def test_auto_delete_queue_without_consumers_stays(connect, res):
    q = res.queue()
    c = connect()
    c.channel().queue_declare(q, auto_delete=True)
    c.close()
    # never had a consumer: survives its declaring connection
    assert connect().channel().queue_declare(q, passive=True).method.queue == q


def test_auto_delete_queue_not_deleted_by_basic_get(channel, res):
    q = res.queue()
    channel.queue_declare(q, auto_delete=True)
    channel.basic_publish("", q, b"x")
    assert drain_get(channel, q) == [b"x"]
    channel.queue_declare(q, passive=True)


def test_auto_delete_queue_messages_lost_with_queue(connect, res, broker):
    q = res.queue()
    ch = confirmed(connect().channel())
    ch.queue_declare(q, auto_delete=True)
    ch.basic_publish("", q, b"a")
    tag = ch.basic_consume(q, lambda *a: None)
    ch.connection.process_data_events(time_limit=0.1)
    ch.basic_cancel(tag)   # the unacked message goes with the queue
    ch2 = connect().channel()
    assert channel_error(ch2.queue_declare, q, passive=True) == (404, no_queue(q, broker.vhost))
