"""Alternate exchanges: the alternate-exchange argument and policy key.

What RabbitMQ 3.10 does (rabbit_exchange:route/2), checked against Debian's
rabbitmq-server: a message an exchange routes nowhere goes to its alternate exchange,
recursively, each exchange visited once (so cycles end); it then counts as routed (no
basic.return for mandatory); an alternate exchange that does not exist routes nowhere.
The argument must be a string, and declaring an exchange with one needs read permission
on the new exchange and write permission on the alternate one.
"""
import pika
import pytest

from support import access_refused, channel_error, queue_depth, uname


@pytest.fixture
def ch(connection):
    c = connection.channel()
    c.confirm_delivery()
    return c


@pytest.fixture
def names(connection):
    """Unique exchange and queue names, deleted at teardown."""
    made = {"exchanges": [], "queues": []}

    def make(kind, prefix="wt-ae"):
        name = uname(prefix)
        made[kind].append(name)
        return name
    yield make
    c = connection.channel() if connection.is_open else None
    if c is None:
        return
    for x in made["exchanges"]:
        c.exchange_delete(x)
    for q in made["queues"]:
        c.queue_delete(q)


def publish_mandatory(ch, exchange, key, body=b"m", headers=None):
    """Publishes with mandatory set; returns True if the broker returned it."""
    try:
        ch.basic_publish(exchange, key, body, pika.BasicProperties(headers=headers),
                         mandatory=True)
        return False
    except pika.exceptions.UnroutableError:
        return True


def caught(ch, names, ae_type="fanout"):
    """An alternate exchange with a queue catching everything it gets."""
    ae, q = names("exchanges"), names("queues")
    ch.exchange_declare(ae, ae_type)
    ch.queue_declare(q)
    ch.queue_bind(q, ae, "#" if ae_type == "topic" else "")
    return ae, q


def test_unroutable_message_goes_to_the_alternate_exchange(ch, names):
    ae, spill = caught(ch, names)
    main, direct = names("exchanges"), names("queues")
    ch.exchange_declare(main, "direct", arguments={"alternate-exchange": ae})
    ch.queue_declare(direct)
    ch.queue_bind(direct, main, "k")
    assert not publish_mandatory(ch, main, "k")
    assert not publish_mandatory(ch, main, "other")  # routed via the AE: no basic.return
    assert queue_depth(ch, direct) == 1
    assert queue_depth(ch, spill) == 1
    method, props, body = ch.basic_get(spill, auto_ack=True)
    # The message keeps its exchange and routing key.
    assert (method.exchange, method.routing_key, body) == (main, "other", b"m")


def test_alternate_exchanges_chain(ch, names):
    ae, spill = caught(ch, names)
    middle, main = names("exchanges"), names("exchanges")
    ch.exchange_declare(middle, "direct", arguments={"alternate-exchange": ae})
    ch.exchange_declare(main, "topic", arguments={"alternate-exchange": middle})
    assert not publish_mandatory(ch, main, "x.y")
    assert queue_depth(ch, spill) == 1


def test_missing_alternate_exchange_means_unroutable(ch, names):
    main = names("exchanges")
    ch.exchange_declare(main, "direct", arguments={"alternate-exchange": uname("nowhere")})
    assert publish_mandatory(ch, main, "k")


def test_a_cycle_of_alternate_exchanges_ends(ch, names):
    x1, x2, q = names("exchanges"), names("exchanges"), names("queues")
    ch.exchange_declare(x1, "direct", arguments={"alternate-exchange": x2})
    ch.exchange_declare(x2, "direct", arguments={"alternate-exchange": x1})
    assert publish_mandatory(ch, x1, "k")
    ch.queue_declare(q)
    ch.queue_bind(q, x1, "k2")
    # x2 routes nothing, its AE x1 does.
    assert not publish_mandatory(ch, x2, "k2")
    assert queue_depth(ch, q) == 1


def test_exchange_to_exchange_match_is_routed_for_the_alternate_exchange(ch, names):
    # main matched a binding (to an exchange that routes nowhere): main's own AE is not
    # used; the bound exchange's AE is.
    ae, spill = caught(ch, names)
    main, inner = names("exchanges"), names("exchanges")
    ch.exchange_declare(main, "direct", arguments={"alternate-exchange": ae})
    ch.exchange_declare(inner, "direct")
    ch.exchange_bind(inner, main, "k")
    assert publish_mandatory(ch, main, "k")
    assert queue_depth(ch, spill) == 0
    inner2 = names("exchanges")
    ch.exchange_declare(inner2, "direct", arguments={"alternate-exchange": ae})
    ch.exchange_bind(inner2, main, "k2")
    assert not publish_mandatory(ch, main, "k2")
    assert queue_depth(ch, spill) == 1


def test_cc_keys_count_before_the_alternate_exchange(ch, names):
    ae, spill = caught(ch, names)
    main, q = names("exchanges"), names("queues")
    ch.exchange_declare(main, "direct", arguments={"alternate-exchange": ae})
    ch.queue_declare(q)
    ch.queue_bind(q, main, "cc-key")
    assert not publish_mandatory(ch, main, "nope", headers={"CC": ["cc-key"]})
    assert queue_depth(ch, q) == 1
    assert queue_depth(ch, spill) == 0


@pytest.mark.parametrize("value, type_name", [(5, "signedint"), (True, "bool"),
                                              (b"bytes", "binary")])
def test_alternate_exchange_must_be_a_string(connection, names, value, type_name):
    x = names("exchanges")
    c = connection.channel()
    code, text = channel_error(c.exchange_declare, x, "direct",
                               arguments={"alternate-exchange": value})
    assert (code, text) == (406, "PRECONDITION_FAILED - invalid type '%s' for arg "
                                 "'alternate-exchange' in exchange '%s' in vhost '/'"
                            % (type_name, x))


def test_redeclare_compares_the_alternate_exchange(connection, names):
    x = names("exchanges")
    c = connection.channel()
    c.exchange_declare(x, "direct", arguments={"alternate-exchange": "ae1"})
    # Other arguments may differ.
    c.exchange_declare(x, "direct", arguments={"alternate-exchange": "ae1", "other": 1})
    code, text = channel_error(c.exchange_declare, x, "direct",
                               arguments={"alternate-exchange": "other"})
    assert (code, text) == (406, "PRECONDITION_FAILED - inequivalent arg 'alternate-exchange' "
                                 "for exchange '%s' in vhost '/': received 'other' but current "
                                 "is 'ae1'" % x)
    c = connection.channel()
    code, text = channel_error(c.exchange_declare, x, "direct")
    assert (code, text) == (406, "PRECONDITION_FAILED - inequivalent arg 'alternate-exchange' "
                                 "for exchange '%s' in vhost '/': received none but current is "
                                 "the value 'ae1' of type 'longstr'" % x)
    # A declare of the existing exchange does not check the argument's type.
    c = connection.channel()
    code, text = channel_error(c.exchange_declare, x, "direct",
                               arguments={"alternate-exchange": 5})
    assert text.startswith("PRECONDITION_FAILED - inequivalent arg 'alternate-exchange'")


def test_declaring_with_an_alternate_exchange_checks_permissions(users_broker):
    env = users_broker
    conn = env.connect(env.alice)
    try:
        # alice may use ^alice-.* only: writing to the AE is refused...
        c = conn.channel()
        x = "alice-" + uname("x")
        code, text = channel_error(c.exchange_declare, x, "direct",
                                   arguments={"alternate-exchange": "not-alices"})
        assert (code, text) == (403, access_refused("exchange", "not-alices", env.alice,
                                                    env.vhost))
        c = conn.channel()
        ok = "alice-" + uname("x")
        c.exchange_declare(ok, "direct", arguments={"alternate-exchange": "alice-ae"})
        c.exchange_delete(ok)
    finally:
        conn.close()
    # ... and the writer, who may read nothing, may not declare one with an AE at all.
    conn = env.connect(env.writer)
    try:
        c = conn.channel()
        x = uname("wt-x")
        code, text = channel_error(c.exchange_declare, x, "direct",
                                   arguments={"alternate-exchange": "ae"})
        assert (code, text) == (403, access_refused("exchange", x, env.writer, env.vhost))
    finally:
        conn.close()
