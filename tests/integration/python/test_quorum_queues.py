"""Quorum queues on one node, as RabbitMQ 3.10.8 behaves (see EXPECTED.md): declare rules,
arguments, x-delivery-count, x-delivery-limit, where returned messages go, consumer
restrictions, and what survives a restart."""
import time

import pika
import pika.exceptions
import pytest

from conftest import requires_own_broker, start_warren
from support import channel_error, connection_error, queue_depth, wait_get, wait_until

QUORUM = {"x-queue-type": "quorum"}


def quorum(**extra):
    args = dict(QUORUM)
    args.update(extra)
    return args


def invalid(q, arg, detail, vhost="/"):
    return (406, "PRECONDITION_FAILED - invalid arg '%s' for queue '%s' in vhost '%s': %s"
            % (arg, q, vhost, detail))


def not_for_type(q, arg, qtype, vhost="/"):
    return (406, "PRECONDITION_FAILED - invalid arg '%s' for queue '%s' in vhost '%s' of queue "
                 "type rabbit_%s_queue" % (arg, q, vhost, qtype))


def declare_quorum(ch, q, **extra):
    ch.queue_declare(q, durable=True, arguments=quorum(**extra))


def get_nack(ch, q, requeue=True):
    m, props, body = wait_get(ch, q, auto_ack=False)
    ch.basic_nack(m.delivery_tag, requeue=requeue)
    return m, props, body


# ---------------------------------------------------------------------------
# Declare rules
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("kw,prop", [
    (dict(durable=False), "non-durable"),
    (dict(durable=True, exclusive=True), "exclusive-owner"),
    (dict(durable=False, exclusive=True), "exclusive-owner"),
    (dict(durable=True, auto_delete=True), "auto-delete"),
    (dict(durable=False, exclusive=True, auto_delete=True), "auto-delete"),
], ids=str)
def test_quorum_queue_properties_refused(connection, res, broker, kw, prop):
    q = res.queue()
    ch = connection.channel()
    assert channel_error(ch.queue_declare, q, arguments=QUORUM, **kw) == (
        406, "PRECONDITION_FAILED - invalid property '%s' for queue '%s' in vhost '%s'"
        % (prop, q, broker.vhost))
    ch = connection.channel()
    assert channel_error(ch.queue_declare, q, passive=True)[0] == 404


def test_server_named_quorum_queue_refused(connection):
    ch = connection.channel()
    # Refused before anything else is looked at.
    assert channel_error(ch.queue_declare, "", durable=False,
                         arguments=quorum(**{"x-max-length": -1})) == (
        406, "PRECONDITION_FAILED - Cannot declare a server-named queue for type "
             "rabbit_quorum_queue")


@pytest.mark.parametrize("args", [
    {"x-delivery-limit": 3}, {"x-delivery-limit": -1}, {"x-delivery-limit": "x"},
    {"x-overflow": "reject-publish-dlx"}, {"x-overflow": "reject-publish"},
    {"x-dead-letter-strategy": "at-least-once", "x-dead-letter-exchange": "dlx"},
    {"x-dead-letter-strategy": "at-most-once"}, {"x-max-in-memory-length": 5},
    {"x-max-in-memory-bytes": 5}, {"x-quorum-initial-group-size": 3},
    {"x-queue-leader-locator": "balanced"}, {"x-queue-leader-locator": "random"},
    {"x-message-ttl": 1000}, {"x-expires": 60000}, {"x-max-length": 5},
    {"x-max-length-bytes": 5}, {"x-single-active-consumer": True},
    {"x-consumer-timeout": 1000}, {"x-consumer-timeout": "x"}, {"x-unknown": 1},
], ids=str)
def test_quorum_arguments_accepted(channel, res, args):
    q = res.queue()
    declare_quorum(channel, q, **args)
    declare_quorum(channel, q, **args)  # equivalent redeclare


QUORUM_REFUSED = [
    ({"x-max-priority": 5}, "x-max-priority"),
    ({"x-max-priority": 300}, "x-max-priority"),  # not validated, refused for the type
    ({"x-queue-mode": "lazy"}, "x-queue-mode"),
    ({"x-max-age": "1D"}, "x-max-age"),
    ({"x-stream-max-segment-size-bytes": 5}, "x-stream-max-segment-size-bytes"),
    ({"x-initial-cluster-size": 1}, "x-initial-cluster-size"),
    ({"x-queue-master-locator": "min-masters"}, "x-queue-master-locator"),
    # Table order decides between two such arguments.
    ({"x-queue-mode": "lazy", "x-max-age": "1D"}, "x-queue-mode"),
    ({"x-max-age": "1D", "x-queue-mode": "lazy"}, "x-max-age"),
]


@pytest.mark.parametrize("args,arg", QUORUM_REFUSED, ids=[str(c[0]) for c in QUORUM_REFUSED])
def test_classic_arguments_refused_on_quorum_queues(connection, res, broker, args, arg):
    q = res.queue()
    ch = connection.channel()
    assert channel_error(ch.queue_declare, q, durable=True, arguments=quorum(**args)) == \
        not_for_type(q, arg, "quorum", broker.vhost)


QUORUM_INVALID = [
    ({"x-dead-letter-strategy": "foo"}, "x-dead-letter-strategy", "invalid_dlx_strategy"),
    ({"x-dead-letter-strategy": 1}, "x-dead-letter-strategy", "{unacceptable_type,signedint}"),
    ({"x-quorum-initial-group-size": 0}, "x-quorum-initial-group-size", "{value_zero,0}"),
    ({"x-quorum-initial-group-size": -2}, "x-quorum-initial-group-size", "{value_negative,-2}"),
    ({"x-quorum-initial-group-size": "a"}, "x-quorum-initial-group-size",
     '"expected integer, got longstr"'),
    ({"x-max-in-memory-length": -1}, "x-max-in-memory-length", "{value_negative,-1}"),
    ({"x-max-in-memory-bytes": "x"}, "x-max-in-memory-bytes", '"expected integer, got longstr"'),
    ({"x-queue-leader-locator": "foo"}, "x-queue-leader-locator", "invalid_queue_locator_arg"),
    ({"x-queue-leader-locator": 1}, "x-queue-leader-locator", "{unacceptable_type,signedint}"),
    ({"x-dead-letter-routing-key": "k"}, "x-dead-letter-routing-key",
     "routing_key_but_no_dlx_defined"),
    # Values come first (in rabbit_amqqueue:declare_args/0's order), then the type's refusals.
    ({"x-max-priority": 1, "x-max-length": -1}, "x-max-length", "{value_negative,-1}"),
    ({"x-dead-letter-strategy": "foo", "x-max-length": -1}, "x-dead-letter-strategy",
     "invalid_dlx_strategy"),
    ({"x-quorum-initial-group-size": 0, "x-max-length": -1}, "x-max-length",
     "{value_negative,-1}"),
    ({"x-max-in-memory-bytes": -1, "x-max-length-bytes": -1}, "x-max-length-bytes",
     "{value_negative,-1}"),
    ({"x-max-in-memory-bytes": -1, "x-overflow": "foo"}, "x-max-in-memory-bytes",
     "{value_negative,-1}"),
    ({"x-queue-leader-locator": "foo", "x-quorum-initial-group-size": 0},
     "x-quorum-initial-group-size", "{value_zero,0}"),
]


@pytest.mark.parametrize("args,arg,detail", QUORUM_INVALID, ids=[str(c[0]) for c in QUORUM_INVALID])
def test_quorum_argument_values(connection, res, broker, args, arg, detail):
    q = res.queue()
    ch = connection.channel()
    # Argument errors come before the durable check.
    assert channel_error(ch.queue_declare, q, durable=False, arguments=quorum(**args)) == \
        invalid(q, arg, detail, broker.vhost)


CLASSIC_REFUSED = [
    # Quorum-only arguments are refused by name, their values unchecked.
    ({"x-quorum-initial-group-size": 0}, "x-quorum-initial-group-size"),
    ({"x-dead-letter-strategy": "foo"}, "x-dead-letter-strategy"),
    ({"x-max-in-memory-bytes": 5}, "x-max-in-memory-bytes"),
    ({"x-queue-leader-locator": "foo"}, "x-queue-leader-locator"),
]


@pytest.mark.parametrize("args,arg", CLASSIC_REFUSED, ids=[str(c[0]) for c in CLASSIC_REFUSED])
def test_quorum_arguments_refused_on_classic_queues(connection, res, broker, args, arg):
    q = res.queue()
    ch = connection.channel()
    assert channel_error(ch.queue_declare, q, arguments=args) == \
        not_for_type(q, arg, "classic", broker.vhost)


def test_classic_value_checked_before_quorum_argument(connection, res, broker):
    q = res.queue()
    ch = connection.channel()
    assert channel_error(ch.queue_declare, q, arguments={
        "x-dead-letter-strategy": "foo", "x-max-length": -1}) == \
        invalid(q, "x-max-length", "{value_negative,-1}", broker.vhost)


def test_classic_queue_version(connection, res, broker):
    q = res.queue()
    ch = connection.channel()
    ch.queue_declare(q, arguments={"x-queue-version": 2})
    ch = connection.channel()
    q2 = res.queue()
    assert channel_error(ch.queue_declare, q2, arguments={"x-queue-version": 3}) == \
        invalid(q2, "x-queue-version", "\"unsupported queue version '3'\"", broker.vhost)


# ---------------------------------------------------------------------------
# Redeclare equivalence
# ---------------------------------------------------------------------------

def inequivalent(q, arg, received, current, vhost="/"):
    return (406, "PRECONDITION_FAILED - inequivalent arg '%s' for queue '%s' in vhost '%s': "
                 "received %s but current is %s" % (arg, q, vhost, received, current))


def test_quorum_redeclare_equivalence(connection, res, broker):
    q = res.queue()
    v = broker.vhost
    ch = connection.channel()
    declare_quorum(ch, q, **{"x-delivery-limit": 3, "x-max-length": 10})
    cases = [
        # Compared in rabbit_quorum_queue's argument order: x-max-length before x-queue-type.
        (dict(durable=True, arguments={}),
         inequivalent(q, "x-max-length", "none", "the value '10' of type 'signedint'", v)),
        (dict(durable=True, arguments={"x-max-length": 10, "x-delivery-limit": 3}),
         inequivalent(q, "x-queue-type", "none", "the value 'quorum' of type 'longstr'", v)),
        (dict(durable=True, arguments={"x-queue-type": "classic", "x-max-length": 10,
                                       "x-delivery-limit": 3}),
         inequivalent(q, "x-queue-type", "'classic'", "'quorum'", v)),
        (dict(durable=True, arguments=quorum(**{"x-delivery-limit": 4, "x-max-length": 10})),
         inequivalent(q, "x-delivery-limit", "'4'", "'3'", v)),
        (dict(durable=True, arguments=quorum(**{"x-max-length": 10})),
         inequivalent(q, "x-delivery-limit", "none", "the value '3' of type 'signedint'", v)),
        (dict(durable=True, arguments=quorum(**{"x-max-length": 10, "x-delivery-limit": 3,
                                                "x-quorum-initial-group-size": 3})),
         inequivalent(q, "x-quorum-initial-group-size", "the value '3' of type 'signedint'",
                      "none", v)),
        (dict(durable=False, arguments=quorum(**{"x-max-length": 10, "x-delivery-limit": 3})),
         (406, "PRECONDITION_FAILED - inequivalent arg 'durable' for queue '%s' in vhost '%s': "
               "received 'false' but current is 'true'" % (q, v))),
        (dict(durable=True, auto_delete=True,
              arguments=quorum(**{"x-max-length": 10, "x-delivery-limit": 3})),
         (406, "PRECONDITION_FAILED - inequivalent arg 'auto_delete' for queue '%s' in vhost "
               "'%s': received 'true' but current is 'false'" % (q, v))),
    ]
    for kw, expected in cases:
        ch = connection.channel()
        assert channel_error(ch.queue_declare, q, **kw) == expected, kw
    # Arguments quorum queues do not take are not compared.
    ch = connection.channel()
    declare_quorum(ch, q, **{"x-max-length": 10, "x-delivery-limit": 3, "x-max-priority": 3,
                             "x-queue-mode": "lazy"})
    assert ch.queue_declare(q, passive=True).method.queue == q


def test_classic_queue_type_classic_or_absent_are_equivalent(connection, res, broker):
    q = res.queue()
    ch = connection.channel()
    ch.queue_declare(q)
    ch.queue_declare(q, arguments={"x-queue-type": "classic"})
    ch.queue_declare(q, arguments={"x-quorum-initial-group-size": 3})  # not compared
    assert channel_error(ch.queue_declare, q, arguments=QUORUM) == inequivalent(
        q, "x-queue-type", "the value 'quorum' of type 'longstr'", "none", broker.vhost)


# ---------------------------------------------------------------------------
# x-delivery-count and x-delivery-limit
# ---------------------------------------------------------------------------

def test_delivery_count_header(channel, res):
    q = res.queue()
    declare_quorum(channel, q)
    channel.basic_publish("", q, b"m", pika.BasicProperties(
        headers={"z": 1, "a": 2, "x-delivery-count": 7}))
    # basic.get shows the count from the first delivery, replacing the publisher's value and
    # sorting the headers.
    for n in range(3):
        m, props, body = get_nack(channel, q)
        assert m.redelivered == (n > 0)
        assert list(props.headers.items()) == [("a", 2), ("x-delivery-count", n), ("z", 1)]


def test_consumer_sees_delivery_count_only_when_redelivered(channel, connection, res):
    q = res.queue()
    declare_quorum(channel, q)
    channel.basic_publish("", q, b"m", pika.BasicProperties(headers={"z": 1, "a": 2}))
    seen = []

    def on_message(ch, m, props, body):
        seen.append((m.redelivered, props.headers))
        ch.basic_nack(m.delivery_tag, requeue=len(seen) < 3)

    channel.basic_consume(q, on_message)
    deadline = time.monotonic() + 5
    while len(seen) < 3 and time.monotonic() < deadline:
        connection.process_data_events(time_limit=0.05)
    assert seen[0] == (False, {"z": 1, "a": 2})  # untouched: no header, publisher's order
    assert seen[1] == (True, {"a": 2, "x-delivery-count": 1, "z": 1})
    assert seen[2] == (True, {"a": 2, "x-delivery-count": 2, "z": 1})


def dead_letter_setup(ch, res, **args):
    dlx, dlq, q = res.exchange("wt-dlx"), res.queue("wt-dlq"), res.queue("wt-qq")
    ch.exchange_declare(dlx, "fanout")
    ch.queue_declare(dlq)
    ch.queue_bind(dlq, dlx)
    declare_quorum(ch, q, **dict({"x-dead-letter-exchange": dlx}, **args))
    return q, dlx, dlq


def test_delivery_limit_dead_letters(channel, res):
    q, dlx, dlq = dead_letter_setup(channel, res, **{"x-delivery-limit": 2})
    channel.basic_publish("", q, b"poison", pika.BasicProperties(
        headers={"h": 1}, expiration="60000", delivery_mode=2))
    for n in range(3):
        _, props, _ = get_nack(channel, q)
        assert props.headers["x-delivery-count"] == n
    # The third return (count 3 > limit 2) dead-letters it.
    m, props, body = wait_get(channel, dlq)
    assert body == b"poison" and (m.exchange, m.routing_key) == (dlx, q)
    assert props.expiration is None and props.delivery_mode == 2
    h = props.headers
    # The stored message has no x-delivery-count: only deliveries show it.
    assert list(h) == ["h", "x-death", "x-first-death-exchange", "x-first-death-queue",
                       "x-first-death-reason"]
    (death,) = h["x-death"]
    assert list(death) == ["count", "reason", "queue", "time", "exchange", "routing-keys",
                           "original-expiration"]
    assert (death["count"], death["reason"], death["queue"], death["exchange"],
            death["routing-keys"], death["original-expiration"]) == (
        1, "delivery_limit", q, "", [q], "60000")
    assert (h["x-first-death-reason"], h["x-first-death-queue"]) == ("delivery_limit", q)
    assert queue_depth(channel, q) == 0
    assert channel.basic_get(dlq)[0] is None  # dead-lettered once


@pytest.mark.parametrize("limit", [0, -1])
def test_delivery_limit_zero_or_negative_dead_letters_first_return(channel, res, limit):
    q, dlx, dlq = dead_letter_setup(channel, res, **{"x-delivery-limit": limit})
    channel.basic_publish("", q, b"z")
    get_nack(channel, q)
    _, props, _ = wait_get(channel, dlq)
    assert props.headers["x-death"][0]["reason"] == "delivery_limit"
    assert queue_depth(channel, q) == 0


def test_delivery_limit_that_is_not_an_integer_is_no_limit(channel, res):
    q, dlx, dlq = dead_letter_setup(channel, res, **{"x-delivery-limit": "x"})
    channel.basic_publish("", q, b"z")
    for n in range(3):
        _, props, _ = get_nack(channel, q)
        assert props.headers["x-delivery-count"] == n
    wait_until(lambda: queue_depth(channel, q) == 1)  # the requeue lands asynchronously
    assert queue_depth(channel, dlq) == 0


def test_delivery_limit_without_dead_letter_exchange_drops(channel, res):
    q = res.queue()
    declare_quorum(channel, q, **{"x-delivery-limit": 1})
    channel.basic_publish("", q, b"z")
    get_nack(channel, q)
    get_nack(channel, q)
    assert queue_depth(channel, q) == 0


def test_reject_without_requeue_dead_letters_as_rejected(channel, res):
    q, dlx, dlq = dead_letter_setup(channel, res, **{"x-delivery-limit": 5})
    channel.basic_publish("", q, b"r")
    get_nack(channel, q, requeue=False)
    _, props, _ = wait_get(channel, dlq)
    assert props.headers["x-death"][0]["reason"] == "rejected"


def test_transient_message_keeps_its_delivery_mode(channel, res):
    q = res.queue()
    declare_quorum(channel, q)
    channel.basic_publish("", q, b"t", pika.BasicProperties(delivery_mode=1))
    _, props, _ = wait_get(channel, q)
    assert props.delivery_mode == 1


# ---------------------------------------------------------------------------
# Where returned messages go (rabbit_fifo 3.10)
# ---------------------------------------------------------------------------

def drain_bodies(ch, q, n):
    out = []
    for _ in range(n):
        m, props, body = wait_get(ch, q)
        out.append((body, m.redelivered))
    return out


def test_requeue_without_delivery_limit_goes_to_the_tail(channel, res):
    q = res.queue()
    declare_quorum(channel, q)
    for b in (b"p1", b"p2", b"p3"):
        channel.basic_publish("", q, b)
    get_nack(channel, q)
    assert drain_bodies(channel, q, 3) == [(b"p2", False), (b"p3", False), (b"p1", True)]


def test_requeue_with_delivery_limit_goes_to_the_head(channel, res):
    q = res.queue()
    declare_quorum(channel, q, **{"x-delivery-limit": 10})
    for b in (b"p1", b"p2", b"p3"):
        channel.basic_publish("", q, b)
    a, _, _ = wait_get(channel, q, auto_ack=False)
    b, _, _ = wait_get(channel, q, auto_ack=False)
    channel.basic_nack(b.delivery_tag, requeue=True)
    channel.basic_nack(a.delivery_tag, requeue=True)
    # Returns queue up ahead of the messages, in the order they came back.
    assert drain_bodies(channel, q, 3) == [(b"p2", True), (b"p1", True), (b"p3", False)]


def test_messages_of_a_closed_channel_return_to_the_head(connection, res):
    ch = connection.channel()
    q = res.queue()
    declare_quorum(ch, q)
    for b in (b"p1", b"p2", b"p3"):
        ch.basic_publish("", q, b)
    other = connection.channel()
    wait_get(other, q, auto_ack=False)
    other.close()
    m, props, body = wait_get(ch, q)
    assert (body, m.redelivered, props.headers["x-delivery-count"]) == (b"p1", True, 1)


# ---------------------------------------------------------------------------
# Consumers
# ---------------------------------------------------------------------------

def test_global_qos_refused_for_quorum_consumers(connect, res, broker):
    conn = connect()
    ch = conn.channel()
    q = res.queue()
    declare_quorum(ch, q)
    ch.basic_qos(prefetch_count=5, global_qos=True)
    assert connection_error(ch.basic_consume, q, lambda *a: None) == (
        540, "NOT_IMPLEMENTED - queue '%s' in vhost '%s' does not support global qos"
        % (q, broker.vhost))


def test_global_qos_zero_and_per_consumer_qos_allowed(channel, res):
    q = res.queue()
    declare_quorum(channel, q)
    channel.basic_qos(prefetch_count=0, global_qos=True)
    channel.basic_qos(prefetch_count=5)
    channel.basic_consume(q, lambda *a: None)
    channel.basic_qos(prefetch_count=5, global_qos=True)  # after consuming: allowed


@pytest.mark.parametrize("qtype,args,arg", [
    ("quorum", {"x-cancel-on-ha-failover": True}, "x-cancel-on-ha-failover"),
    ("quorum", {"x-stream-offset": 1}, "x-stream-offset"),
    ("classic", {"x-stream-offset": 1}, "x-stream-offset"),
], ids=str)
def test_consumer_arguments_of_other_queue_types(connection, res, broker, qtype, args, arg):
    q = res.queue()
    ch = connection.channel()
    ch.queue_declare(q, durable=True, arguments=QUORUM if qtype == "quorum" else {})
    assert channel_error(ch.basic_consume, q, lambda *a: None, arguments=args) == \
        not_for_type(q, arg, qtype, broker.vhost)


@pytest.mark.parametrize("qtype", ["quorum", "classic"])
def test_consumer_priority_of_wrong_type(connection, res, broker, qtype):
    q = res.queue()
    ch = connection.channel()
    ch.queue_declare(q, durable=True, arguments=QUORUM if qtype == "quorum" else {})
    assert channel_error(ch.basic_consume, q, lambda *a: None,
                         arguments={"x-priority": "a"}) == \
        invalid(q, "x-priority", '"expected integer, got longstr"', broker.vhost)


def test_exclusive_and_priority_consumers_allowed(channel, res):
    q = res.queue()
    declare_quorum(channel, q)
    channel.basic_consume(q, lambda *a: None, arguments={"x-priority": 5})
    q2 = res.queue()
    declare_quorum(channel, q2)
    channel.basic_consume(q2, lambda *a: None, exclusive=True)


# ---------------------------------------------------------------------------
# Durability
# ---------------------------------------------------------------------------

@requires_own_broker
@pytest.mark.parametrize("how", ["restart", "kill"])
def test_confirmed_messages_survive_whatever_their_delivery_mode(how):
    """RabbitMQ stores every quorum message; a confirmed transient one survives too."""
    b = start_warren("warren-quorum-durable-")
    try:
        conn = b.connect()
        ch = conn.channel()
        ch.confirm_delivery()
        declare_quorum(ch, "qq")
        ch.queue_declare("cq", durable=True)
        for i in range(20):
            mode = 2 if i % 2 else 1
            ch.basic_publish("", "qq", b"m%d" % i, pika.BasicProperties(delivery_mode=mode))
            ch.basic_publish("", "cq", b"m%d" % i, pika.BasicProperties(delivery_mode=mode))
        conn.close()
        if how == "kill":
            b.process.kill()
            b.process.start()
        else:
            b.process.restart()
        conn = b.connect()
        ch = conn.channel()
        bodies = [wait_get(ch, "qq")[2] for _ in range(20)]
        assert bodies == [b"m%d" % i for i in range(20)]
        assert queue_depth(ch, "qq") == 0
        assert queue_depth(ch, "cq") == 10  # classic queues keep persistent messages only
        conn.close()
    finally:
        b.process.stop_and_clean()


@requires_own_broker
@pytest.mark.parametrize("how", ["restart", "kill"])
def test_delivery_counts_survive_restart(how):
    """Counts live in the Raft log in RabbitMQ; a delivery outstanding when the broker stops
    counts as returned."""
    b = start_warren("warren-quorum-counts-")
    try:
        conn = b.connect()
        ch = conn.channel()
        ch.confirm_delivery()
        ch.exchange_declare("dlx", "fanout", durable=True)
        ch.queue_declare("dlq", durable=True)
        ch.queue_bind("dlq", "dlx")
        declare_quorum(ch, "qq", **{"x-delivery-limit": 3, "x-dead-letter-exchange": "dlx"})
        for body in (b"outstanding", b"returned-twice", b"untouched"):
            ch.basic_publish("", "qq", body)
        m, _, body = wait_get(ch, "qq", auto_ack=False)
        assert body == b"outstanding"
        for _ in range(2):  # with a delivery limit, returns go back to the head
            m, _, body = wait_get(ch, "qq", auto_ack=False)
            assert body == b"returned-twice"
            ch.basic_nack(m.delivery_tag, requeue=True)
        # A confirmed persistent publish after the deliveries: the log is durable past them.
        ch.basic_publish("", "dlq", b"marker", pika.BasicProperties(delivery_mode=2))
        if how == "kill":
            b.process.kill()
            b.process.start()
        else:
            conn.close()
            b.process.restart()
        conn = b.connect()
        ch = conn.channel()

        def take_all():
            got = {}
            for _ in range(3):
                m, props, body = wait_get(ch, "qq", auto_ack=False)
                got[body] = (m.redelivered, props.headers["x-delivery-count"])
            ch.basic_nack(0, multiple=True, requeue=True)
            return got
        assert take_all() == {b"outstanding": (True, 1), b"returned-twice": (True, 2),
                              b"untouched": (False, 0)}
        assert take_all() == {b"outstanding": (True, 2), b"returned-twice": (True, 3),
                              b"untouched": (True, 1)}
        # That was returned-twice's fourth return: over the limit of 3.
        wait_until(lambda: queue_depth(ch, "dlq") == 2)
        assert queue_depth(ch, "qq") == 2
        conn.close()
    finally:
        b.process.stop_and_clean()
