"""Queue argument validation: RabbitMQ 3.10's PRECONDITION_FAILED texts (see EXPECTED.md)."""
from decimal import Decimal

import pika
import pytest

from support import channel_error, connection_error


def invalid(q, arg, detail, vhost="/"):
    return (406, "PRECONDITION_FAILED - invalid arg '%s' for queue '%s' in vhost '%s': %s"
            % (arg, q, vhost, detail))


CASES = [
    ({"x-message-ttl": -1}, "x-message-ttl", "{value_negative,-1}"),
    ({"x-message-ttl": "abc"}, "x-message-ttl", '"expected integer, got longstr"'),
    ({"x-message-ttl": True}, "x-message-ttl", '"expected integer, got bool"'),
    ({"x-message-ttl": Decimal("1.5")}, "x-message-ttl", '"expected integer, got decimal"'),
    ({"x-message-ttl": 315360000001}, "x-message-ttl", "{value_too_large,315360000001}"),
    ({"x-expires": 0}, "x-expires", "{value_zero,0}"),
    ({"x-expires": -5}, "x-expires", "{value_negative,-5}"),
    ({"x-expires": "x"}, "x-expires", '"expected integer, got longstr"'),
    ({"x-expires": 549755813888}, "x-expires", "{value_too_large,549755813888}"),
    ({"x-max-length": -1}, "x-max-length", "{value_negative,-1}"),
    ({"x-max-length": "x"}, "x-max-length", '"expected integer, got longstr"'),
    ({"x-max-length-bytes": -1}, "x-max-length-bytes", "{value_negative,-1}"),
    ({"x-overflow": "foo"}, "x-overflow", "invalid_overflow"),
    ({"x-overflow": 1}, "x-overflow", "{unacceptable_type,signedint}"),
    ({"x-dead-letter-routing-key": 1, "x-dead-letter-exchange": "x"},
     "x-dead-letter-routing-key", "{unacceptable_type,signedint}"),
    ({"x-dead-letter-routing-key": "rk"}, "x-dead-letter-routing-key",
     "routing_key_but_no_dlx_defined"),
    ({"x-max-priority": 256}, "x-max-priority", "{max_value_exceeded,256}"),
    ({"x-max-priority": -1}, "x-max-priority", "{value_negative,-1}"),
    ({"x-max-priority": True}, "x-max-priority", '"expected integer, got bool"'),
    ({"x-single-active-consumer": 1}, "x-single-active-consumer", "{unacceptable_type,signedint}"),
    ({"x-single-active-consumer": "true"}, "x-single-active-consumer",
     "{unacceptable_type,longstr}"),
    ({"x-queue-type": "foo"}, "x-queue-type", "\"unsupported queue type 'foo'\""),
    ({"x-queue-type": 1}, "x-queue-type", "{unacceptable_type,signedint}"),
    ({"x-queue-mode": "foo"}, "x-queue-mode", "\"unsupported queue mode 'foo'\""),
    # RabbitMQ's order: the queue type first, then rabbit_amqqueue:declare_args/0's order.
    ({"x-message-ttl": -1, "x-expires": 0}, "x-expires", "{value_zero,0}"),
    ({"x-queue-type": "foo", "x-expires": 0}, "x-queue-type", "\"unsupported queue type 'foo'\""),
    ({"x-max-priority": 256, "x-max-length": -1}, "x-max-length", "{value_negative,-1}"),
    ({"x-max-priority": 300, "x-overflow": "foo"}, "x-max-priority", "{max_value_exceeded,300}"),
    ({"x-max-length": -1, "x-delivery-limit": 1}, "x-max-length", "{value_negative,-1}"),
]


@pytest.mark.parametrize("args,arg,detail", CASES, ids=[str(c[0]) for c in CASES])
def test_invalid_argument_text(connection, res, broker, args, arg, detail):
    q = res.queue()
    ch = connection.channel()
    assert channel_error(ch.queue_declare, q, arguments=args) == invalid(q, arg, detail, broker.vhost)
    # Nothing was created.
    ch = connection.channel()
    assert channel_error(ch.queue_declare, q, passive=True)[0] == 404


def test_dead_letter_exchange_of_wrong_type(connection, res, broker):
    q = res.queue()
    ch = connection.channel()
    assert channel_error(ch.queue_declare, q,
                         arguments={"x-dead-letter-exchange": 1, "x-message-ttl": -1}) == (
        406, "PRECONDITION_FAILED - invalid type 'signedint' for arg 'x-dead-letter-exchange' "
             "in queue '%s' in vhost '%s'" % (q, broker.vhost))


@pytest.mark.parametrize("arg", ["x-delivery-limit", "x-max-in-memory-length", "x-max-age",
                                 "x-quorum-initial-group-size", "x-dead-letter-strategy"])
def test_arguments_of_other_queue_types(connection, res, broker, arg):
    q = res.queue()
    ch = connection.channel()
    assert channel_error(ch.queue_declare, q, arguments={arg: 5}) == (
        406, "PRECONDITION_FAILED - invalid arg '%s' for queue '%s' in vhost '%s' of queue type "
             "rabbit_classic_queue" % (arg, q, broker.vhost))


@pytest.mark.parametrize("args", [
    {"x-message-ttl": 0}, {"x-message-ttl": 315360000000}, {"x-expires": 1},
    {"x-max-length": 0}, {"x-max-length-bytes": 0}, {"x-overflow": "drop-head"},
    {"x-overflow": "reject-publish"}, {"x-overflow": "reject-publish-dlx"},
    {"x-dead-letter-exchange": "no-such-exchange"}, {"x-dead-letter-exchange": ""},
    {"x-dead-letter-exchange": "", "x-dead-letter-routing-key": "a"},
    {"x-max-priority": 0}, {"x-max-priority": 255}, {"x-single-active-consumer": True},
    {"x-queue-type": "classic"}, {"x-queue-mode": "lazy"}, {"x-unknown-argument": 1},
], ids=str)
def test_valid_arguments(channel, res, args):
    q = res.queue()
    assert channel.queue_declare(q, arguments=args).method.queue == q
    channel.queue_declare(q, arguments=args)  # equivalent redeclare


def test_redeclare_does_not_revalidate(channel, res, broker):
    """A redeclare compares the equivalence arguments; it does not validate again."""
    q = res.queue()
    channel.queue_declare(q, arguments={"x-max-length": 5})
    assert channel.queue_declare(q, passive=True, arguments={"x-max-length": -1}).method.queue == q


def test_stream_queue_refused(connect, res, broker):
    """Streams are not implemented: Warren answers as RabbitMQ 3.10 does with its
    stream_queue feature flag disabled (a connection error)."""
    if broker.external:
        pytest.skip("the reference broker has streams enabled")
    q = res.queue()
    conn = connect()
    ch = conn.channel()
    code, text = connection_error(ch.queue_declare, q, durable=True,
                                  arguments={"x-queue-type": "stream"})
    assert code == 541
    assert text.startswith("INTERNAL_ERROR - Cannot declare a queue 'queue '%s' in vhost '%s'' "
                           "of type 'rabbit_stream_queue' on node 'warren@" % (q, broker.vhost))
    assert text.endswith("': the corresponding feature flag is disabled")
