"""exchange.declare / exchange.delete / exchange-to-exchange bindings."""
import pytest

from support import (channel_error, connection_error, drain_get, inequivalent, no_exchange, uname)

DEFAULT_EXCHANGE_REFUSED = "ACCESS_REFUSED - operation not permitted on the default exchange"


@pytest.mark.parametrize("xtype", ["direct", "fanout", "topic", "headers"])
def test_declare_each_type_and_redeclare(channel, res, xtype):
    x = res.exchange()
    channel.exchange_declare(x, xtype)
    channel.exchange_declare(x, xtype)             # identical redeclare is fine
    channel.exchange_declare(x, passive=True)      # passive ignores type
    channel.exchange_declare(x, "fanout" if xtype != "fanout" else "direct", passive=True)


@pytest.mark.parametrize("name,xtype", [
    ("amq.direct", "direct"), ("amq.fanout", "fanout"), ("amq.topic", "topic"),
    ("amq.headers", "headers"), ("amq.match", "headers"),
])
def test_predeclared_exchanges_exist(channel, name, xtype):
    channel.exchange_declare(name, passive=True)
    # redeclaring them with their own (durable) properties is allowed
    channel.exchange_declare(name, xtype, durable=True)


def test_redeclare_predeclared_with_other_type(channel, broker):
    assert channel_error(channel.exchange_declare, "amq.direct", "fanout", durable=True) == (
        406, inequivalent("type", "exchange", "amq.direct", "fanout", "direct", broker.vhost))


def test_redeclare_with_different_type(connection, res, broker):
    x = res.exchange()
    ch = connection.channel()
    ch.exchange_declare(x, "direct")
    assert channel_error(ch.exchange_declare, x, "fanout") == (
        406, inequivalent("type", "exchange", x, "fanout", "direct", broker.vhost))


def test_redeclare_with_different_durable(connection, res, broker):
    x = res.exchange()
    ch = connection.channel()
    ch.exchange_declare(x, "direct")
    assert channel_error(ch.exchange_declare, x, "direct", durable=True) == (
        406, inequivalent("durable", "exchange", x, "true", "false", broker.vhost))


def test_redeclare_with_different_auto_delete(connection, res, broker):
    x = res.exchange()
    ch = connection.channel()
    ch.exchange_declare(x, "direct")
    assert channel_error(ch.exchange_declare, x, "direct", auto_delete=True) == (
        406, inequivalent("auto_delete", "exchange", x, "true", "false", broker.vhost))


def test_passive_declare_missing(channel, broker):
    x = uname("wt-x")
    assert channel_error(channel.exchange_declare, x, passive=True) == (404, no_exchange(x, broker.vhost))


def test_declare_reserved_amq_prefix(channel):
    x = "amq." + uname("wt-x")
    assert channel_error(channel.exchange_declare, x, "direct") == (
        403, "ACCESS_REFUSED - exchange name '%s' contains reserved prefix 'amq.*'" % x)


def test_passive_declare_of_missing_amq_name_is_not_found(channel, broker):
    x = "amq." + uname("wt-x")
    assert channel_error(channel.exchange_declare, x, passive=True) == (404, no_exchange(x, broker.vhost))


def test_declare_default_exchange(channel):
    assert channel_error(channel.exchange_declare, "", "direct") == (403, DEFAULT_EXCHANGE_REFUSED)


def test_delete_default_exchange(channel):
    assert channel_error(channel.exchange_delete, "") == (403, DEFAULT_EXCHANGE_REFUSED)


@pytest.mark.parametrize("name", ["amq.direct", "amq.fanout", "amq.topic", "amq.headers", "amq.match"])
def test_delete_system_exchange(channel, broker, name):
    assert channel_error(channel.exchange_delete, name) == (
        403, "ACCESS_REFUSED - deletion of system exchange '%s' in vhost '%s' not allowed" % (name, broker.vhost))


def test_unknown_exchange_type_is_a_connection_error(connection, channel):
    x = uname("wt-x")
    xtype = uname("wt-bogus-type")
    # RabbitMQ says "invalid exchange type" instead when the name happens to be an
    # existing Erlang atom (e.g. 'foo'); for any other name it is this:
    assert connection_error(channel.exchange_declare, x, xtype) == (
        503, "COMMAND_INVALID - unknown exchange type '%s'" % xtype)


def test_delete_missing_exchange_is_ok(channel):
    channel.exchange_delete(uname("wt-x"))
    channel.exchange_delete(uname("wt-x"), if_unused=True)


def test_delete_exchange(channel, res, broker):
    x = res.exchange()
    channel.exchange_declare(x, "fanout")
    channel.exchange_delete(x)
    assert channel_error(channel.exchange_declare, x, passive=True) == (404, no_exchange(x, broker.vhost))


def test_delete_if_unused_with_binding(connection, res, broker):
    x = res.exchange()
    ch = connection.channel()
    ch.exchange_declare(x, "direct")
    q = ch.queue_declare("", exclusive=True).method.queue
    ch.queue_bind(q, x, "k")
    assert channel_error(ch.exchange_delete, x, if_unused=True) == (
        406, "PRECONDITION_FAILED - exchange '%s' in vhost '%s' in use" % (x, broker.vhost))


def test_delete_if_unused_without_bindings(channel, res, broker):
    x = res.exchange()
    channel.exchange_declare(x, "direct")
    channel.exchange_delete(x, if_unused=True)
    assert channel_error(channel.exchange_declare, x, passive=True) == (404, no_exchange(x, broker.vhost))


def test_deleting_exchange_removes_its_bindings(channel, res):
    x = res.exchange()
    channel.exchange_declare(x, "fanout")
    q = channel.queue_declare("", exclusive=True).method.queue
    channel.queue_bind(q, x)
    channel.exchange_delete(x)
    channel.exchange_declare(x, "fanout")   # same name, fresh exchange without bindings
    channel.basic_publish(x, "", b"after re-create")
    assert drain_get(channel, q) == []


def test_auto_delete_exchange_removed_after_last_unbind(channel, res, broker):
    x = res.exchange()
    channel.exchange_declare(x, "direct", auto_delete=True)
    q = channel.queue_declare("", exclusive=True).method.queue
    channel.queue_bind(q, x, "a")
    channel.queue_bind(q, x, "b")
    channel.queue_unbind(q, x, "a")
    channel.exchange_declare(x, passive=True)      # still has one binding
    channel.queue_unbind(q, x, "b")
    assert channel_error(channel.exchange_declare, x, passive=True) == (404, no_exchange(x, broker.vhost))


def test_auto_delete_exchange_removed_when_bound_queue_is_deleted(channel, res, broker):
    x = res.exchange()
    q = res.queue()
    channel.exchange_declare(x, "fanout", auto_delete=True)
    channel.queue_declare(q)
    channel.queue_bind(q, x)
    channel.queue_delete(q)
    assert channel_error(channel.exchange_declare, x, passive=True) == (404, no_exchange(x, broker.vhost))


def test_auto_delete_exchange_without_bindings_stays(channel, res):
    x = res.exchange()
    channel.exchange_declare(x, "direct", auto_delete=True)
    channel.exchange_declare(x, passive=True)


def test_publish_to_missing_exchange(plain_channel, broker):
    x = uname("wt-x")
    plain_channel.basic_publish(x, "k", b"lost")
    # basic.publish is asynchronous: the channel.close arrives with the next RPC
    assert channel_error(plain_channel.queue_declare, "", exclusive=True) == (404, no_exchange(x, broker.vhost))


def test_publish_to_amq_default_name_is_not_found(plain_channel, broker):
    """Surprise: 'amq.default' is only a display name; publishing to it is a 404."""
    plain_channel.basic_publish("amq.default", "k", b"x")
    assert channel_error(plain_channel.queue_declare, "", exclusive=True) == (404, no_exchange("amq.default", broker.vhost))


def test_internal_exchange_cannot_be_published_to(plain_channel, res, broker):
    x = res.exchange()
    plain_channel.exchange_declare(x, "fanout", internal=True)
    plain_channel.basic_publish(x, "", b"x")
    assert channel_error(plain_channel.queue_declare, "", exclusive=True) == (
        403, "ACCESS_REFUSED - cannot publish to internal exchange '%s' in vhost '%s'" % (x, broker.vhost))


# ---------------------------------------------------------------------------
# Exchange-to-exchange bindings
# ---------------------------------------------------------------------------

def test_exchange_to_exchange_binding(channel, res):
    src, dst = res.exchange(), res.exchange()
    channel.exchange_declare(src, "topic")
    channel.exchange_declare(dst, "fanout")
    q = channel.queue_declare("", exclusive=True).method.queue
    channel.queue_bind(q, dst)
    channel.exchange_bind(dst, src, "a.*")
    channel.basic_publish(src, "a.b", b"1")
    channel.basic_publish(src, "b.b", b"2")
    assert drain_get(channel, q) == [b"1"]
    channel.exchange_unbind(dst, src, "a.*")
    channel.basic_publish(src, "a.b", b"3")
    assert drain_get(channel, q) == []


def test_exchange_binding_cycle_delivers_once(channel, res):
    a, b = res.exchange(), res.exchange()
    channel.exchange_declare(a, "fanout")
    channel.exchange_declare(b, "fanout")
    channel.exchange_bind(b, a)
    channel.exchange_bind(a, b)
    q = channel.queue_declare("", exclusive=True).method.queue
    channel.queue_bind(q, a)
    channel.queue_bind(q, b)
    channel.basic_publish(a, "", b"once")
    assert drain_get(channel, q) == [b"once"]


def test_exchange_bind_missing_destination(channel, broker):
    x = uname("wt-x")
    assert channel_error(channel.exchange_bind, x, "amq.direct", "k") == (404, no_exchange(x, broker.vhost))


def test_exchange_bind_missing_source(channel, broker):
    x = uname("wt-x")
    assert channel_error(channel.exchange_bind, "amq.fanout", x, "k") == (404, no_exchange(x, broker.vhost))
