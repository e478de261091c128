"""Bindings and routing: default, direct, fanout, topic, headers exchanges."""
import decimal

import pika
import pytest

from support import channel_error, drain_get, no_exchange, no_queue, uname

DEFAULT_EXCHANGE_REFUSED = "ACCESS_REFUSED - operation not permitted on the default exchange"


def new_queue(ch):
    return ch.queue_declare("", exclusive=True).method.queue


# ---------------------------------------------------------------------------
# Default exchange
# ---------------------------------------------------------------------------

def test_default_exchange_routes_by_queue_name(channel):
    a, b = new_queue(channel), new_queue(channel)
    channel.basic_publish("", a, b"to a")
    channel.basic_publish("", b, b"to b")
    channel.basic_publish("", uname("wt-nobody"), b"dropped")
    assert drain_get(channel, a) == [b"to a"]
    assert drain_get(channel, b) == [b"to b"]


def test_bind_to_default_exchange_refused(channel):
    q = new_queue(channel)
    assert channel_error(channel.queue_bind, q, "", "other") == (403, DEFAULT_EXCHANGE_REFUSED)


def test_unbind_from_default_exchange_refused(channel):
    q = new_queue(channel)
    assert channel_error(channel.queue_unbind, q, "", q) == (403, DEFAULT_EXCHANGE_REFUSED)


# ---------------------------------------------------------------------------
# Binding errors
# ---------------------------------------------------------------------------

def test_bind_missing_queue(channel, broker):
    q = uname("wt-q")
    assert channel_error(channel.queue_bind, q, "amq.direct", "k") == (404, no_queue(q, broker.vhost))


def test_bind_missing_exchange(channel, broker):
    q = new_queue(channel)
    x = uname("wt-x")
    assert channel_error(channel.queue_bind, q, x, "k") == (404, no_exchange(x, broker.vhost))


def test_bind_missing_queue_and_exchange_reports_exchange(channel, broker):
    q, x = uname("wt-q"), uname("wt-x")
    assert channel_error(channel.queue_bind, q, x, "k") == (404, no_exchange(x, broker.vhost))


def test_unbind_missing_things_is_ok(channel):
    q = new_queue(channel)
    channel.queue_unbind(q, "amq.direct", "never-bound")
    channel.queue_unbind(uname("wt-q"), "amq.direct", "k")
    channel.queue_unbind(q, uname("wt-x"), "k")


# ---------------------------------------------------------------------------
# Direct
# ---------------------------------------------------------------------------

def test_direct_exact_match(channel, res):
    x = res.exchange()
    channel.exchange_declare(x, "direct")
    q1, q2 = new_queue(channel), new_queue(channel)
    channel.queue_bind(q1, x, "black")
    channel.queue_bind(q2, x, "green")
    channel.queue_bind(q2, x, "black")
    for key in ("black", "green", "Black", "black ", "blue", ""):
        channel.basic_publish(x, key, key.encode())
    assert drain_get(channel, q1) == [b"black"]
    assert drain_get(channel, q2) == [b"black", b"green"]


def test_direct_empty_binding_key(channel, res):
    x = res.exchange()
    channel.exchange_declare(x, "direct")
    q = new_queue(channel)
    channel.queue_bind(q, x, "")
    channel.basic_publish(x, "", b"empty")
    channel.basic_publish(x, "a", b"a")
    assert drain_get(channel, q) == [b"empty"]


def test_duplicate_binding_is_idempotent(channel, res):
    x = res.exchange()
    channel.exchange_declare(x, "direct")
    q = new_queue(channel)
    channel.queue_bind(q, x, "k")
    channel.queue_bind(q, x, "k")
    channel.basic_publish(x, "k", b"once")
    assert drain_get(channel, q) == [b"once"]
    channel.queue_unbind(q, x, "k")   # one unbind removes it
    channel.basic_publish(x, "k", b"gone")
    assert drain_get(channel, q) == []


def test_message_delivered_once_per_queue_with_several_matching_bindings(channel, res):
    x = res.exchange()
    channel.exchange_declare(x, "topic")
    q = new_queue(channel)
    for key in ("a.b", "a.*", "#", "*.b"):
        channel.queue_bind(q, x, key)
    channel.basic_publish(x, "a.b", b"one copy")
    assert drain_get(channel, q) == [b"one copy"]


def test_bindings_with_arguments_are_distinct(channel, res):
    x = res.exchange()
    channel.exchange_declare(x, "direct")
    q = new_queue(channel)
    channel.queue_bind(q, x, "k", arguments={"v": 1})
    channel.queue_bind(q, x, "k", arguments={"v": 2})
    channel.queue_unbind(q, x, "k", arguments={"v": 1})
    channel.basic_publish(x, "k", b"still bound via v=2")
    assert drain_get(channel, q) == [b"still bound via v=2"]
    channel.queue_unbind(q, x, "k", arguments={"v": 2})
    channel.basic_publish(x, "k", b"unbound")
    assert drain_get(channel, q) == []


def test_amq_direct_routes(channel):
    q = new_queue(channel)
    channel.queue_bind(q, "amq.direct", q)
    channel.basic_publish("amq.direct", q, b"via amq.direct")
    assert drain_get(channel, q) == [b"via amq.direct"]


# ---------------------------------------------------------------------------
# Fanout
# ---------------------------------------------------------------------------

def test_fanout_ignores_routing_key(channel, res):
    x = res.exchange()
    channel.exchange_declare(x, "fanout")
    qs = [new_queue(channel) for _ in range(3)]
    channel.queue_bind(qs[0], x, "")
    channel.queue_bind(qs[1], x, "some-key")
    channel.queue_bind(qs[2], x, "#")
    channel.basic_publish(x, "anything", b"m1")
    channel.basic_publish(x, "", b"m2")
    for q in qs:
        assert drain_get(channel, q) == [b"m1", b"m2"]


def test_fanout_without_bindings_drops(channel, res):
    x = res.exchange()
    channel.exchange_declare(x, "fanout")
    channel.basic_publish(x, "", b"nobody")
    q = new_queue(channel)
    channel.queue_bind(q, x)
    assert drain_get(channel, q) == []


# ---------------------------------------------------------------------------
# Topic
# ---------------------------------------------------------------------------

TOPIC_KEYS = ["", "a", "a.b", "a.c", "a.b.c", "a.b.b.c", "x.a", "x.y.a", "a.", ".a", "a..c",
              "a.b.c.d", "A.b", ".", "..", "b", "x.b.y"]
ALL_KEYS = TOPIC_KEYS
NON_EMPTY = [k for k in TOPIC_KEYS if k != ""]

# binding key -> routing keys (from TOPIC_KEYS) that match, as RabbitMQ 3.10 routes them.
# Note '' is zero words (only '#' / '#.#' / '' match it), while '.' is two empty words.
TOPIC_CASES = {
    "#": ALL_KEYS,
    "#.#": ALL_KEYS,
    "*": ["a", "b"],
    "*.#": NON_EMPTY,
    "#.*": NON_EMPTY,
    "": [""],
    "a": ["a"],
    "A.b": ["A.b"],
    "a.#": ["a", "a.b", "a.c", "a.b.c", "a.b.b.c", "a.", "a..c", "a.b.c.d"],
    "#.a": ["a", "x.a", "x.y.a", ".a"],
    "a.*": ["a.b", "a.c", "a."],
    "*.*": ["a.b", "a.c", "x.a", "a.", ".a", "A.b", "."],
    "a.*.c": ["a.b.c", "a..c"],
    "a.#.c": ["a.c", "a.b.c", "a.b.b.c", "a..c"],
    "a.b.#.c": ["a.b.c", "a.b.b.c"],
    "a.*.#": ["a.b", "a.c", "a.b.c", "a.b.b.c", "a.", "a..c", "a.b.c.d"],
    "*.b.*": ["a.b.c", "x.b.y"],
}


@pytest.mark.parametrize("binding_key", list(TOPIC_CASES), ids=lambda k: repr(k))
def test_topic_matching(channel, res, binding_key):
    x = res.exchange()
    channel.exchange_declare(x, "topic")
    q = new_queue(channel)
    channel.queue_bind(q, x, binding_key)
    for key in TOPIC_KEYS:
        channel.basic_publish(x, key, key.encode())
    got = [b.decode() for b in drain_get(channel, q)]
    assert got == TOPIC_CASES[binding_key]


def test_topic_multiple_queues(channel, res):
    """The tutorial's animal example."""
    x = res.exchange()
    channel.exchange_declare(x, "topic")
    q1, q2 = new_queue(channel), new_queue(channel)
    channel.queue_bind(q1, x, "*.orange.*")
    channel.queue_bind(q2, x, "*.*.rabbit")
    channel.queue_bind(q2, x, "lazy.#")
    for key in ("quick.orange.rabbit", "lazy.orange.elephant", "quick.orange.fox", "lazy.brown.fox",
                "lazy.pink.rabbit", "quick.brown.fox", "orange", "quick.orange.male.rabbit",
                "lazy.orange.male.rabbit"):
        channel.basic_publish(x, key, key.encode())
    assert drain_get(channel, q1) == [b"quick.orange.rabbit", b"lazy.orange.elephant", b"quick.orange.fox"]
    assert drain_get(channel, q2) == [b"quick.orange.rabbit", b"lazy.orange.elephant", b"lazy.brown.fox",
                                      b"lazy.pink.rabbit", b"lazy.orange.male.rabbit"]


def test_topic_unbind(channel, res):
    x = res.exchange()
    channel.exchange_declare(x, "topic")
    q = new_queue(channel)
    channel.queue_bind(q, x, "a.*")
    channel.queue_bind(q, x, "#.c")
    channel.queue_unbind(q, x, "a.*")
    channel.basic_publish(x, "a.b", b"a.b")
    channel.basic_publish(x, "a.c", b"a.c")
    assert drain_get(channel, q) == [b"a.c"]


# ---------------------------------------------------------------------------
# Headers
# ---------------------------------------------------------------------------

HEADER_MESSAGES = {
    "h_ab": {"a": 1, "b": "two"},
    "h_a": {"a": 1},
    "h_b": {"b": "two"},
    "h_a2": {"a": 2, "b": "two"},
    "h_abc": {"a": 1, "b": "two", "c": 3},
    "h_none": None,
    "h_empty": {},
    "h_xfoo": {"x-foo": "bar"},
    "h_a_xfoo": {"a": 1, "x-foo": "bar"},
    "h_astr": {"a": "1", "b": "two"},
    "h_avoid": {"a": None},
    "h_f": {"f": True},
    "h_f1": {"f": 1},
    "h_d": {"d": decimal.Decimal("1.5")},
}
EVERY_MESSAGE = list(HEADER_MESSAGES)

# name -> (binding arguments, messages that match)
HEADER_CASES = {
    "all": ({"x-match": "all", "a": 1, "b": "two"}, ["h_ab", "h_abc"]),
    "any": ({"x-match": "any", "a": 1, "b": "two"},
            ["h_ab", "h_a", "h_b", "h_a2", "h_abc", "h_a_xfoo", "h_astr"]),
    "default-is-all": ({"a": 1, "b": "two"}, ["h_ab", "h_abc"]),
    "all-no-keys": ({"x-match": "all"}, EVERY_MESSAGE),
    "no-arguments": ({}, EVERY_MESSAGE),
    "any-no-keys": ({"x-match": "any"}, []),
    # x- prefixed binding keys are ignored by all/any ...
    "all-ignores-x": ({"x-match": "all", "a": 1, "x-foo": "bar"}, ["h_ab", "h_a", "h_abc", "h_a_xfoo"]),
    "any-ignores-x": ({"x-match": "any", "x-foo": "bar"}, []),
    # ... and taken into account by all-with-x/any-with-x (RabbitMQ >= 3.10)
    "all-with-x": ({"x-match": "all-with-x", "a": 1, "x-foo": "bar"}, ["h_a_xfoo"]),
    "any-with-x": ({"x-match": "any-with-x", "x-foo": "bar"}, ["h_xfoo", "h_a_xfoo"]),
    # a void (None) value in the binding only requires presence of the header
    "void-means-present": ({"x-match": "all", "a": None},
                           ["h_ab", "h_a", "h_a2", "h_abc", "h_a_xfoo", "h_astr", "h_avoid"]),
    # values compare with their type: bool true != 1, string "1" != 1
    "bool": ({"x-match": "all", "f": True}, ["h_f"]),
    "int-vs-string": ({"x-match": "all", "a": "1"}, ["h_astr"]),
    "decimal": ({"x-match": "all", "d": decimal.Decimal("1.5")}, ["h_d"]),
}


@pytest.mark.parametrize("case", list(HEADER_CASES))
def test_headers_matching(channel, res, case):
    args, expected = HEADER_CASES[case]
    x = res.exchange()
    channel.exchange_declare(x, "headers")
    q = new_queue(channel)
    channel.queue_bind(q, x, "ignored-routing-key", arguments=args)
    for name, headers in HEADER_MESSAGES.items():
        channel.basic_publish(x, "any-key", name.encode(), pika.BasicProperties(headers=headers))
    assert [b.decode() for b in drain_get(channel, q)] == expected


def test_headers_invalid_x_match(channel, res):
    x = res.exchange()
    channel.exchange_declare(x, "headers")
    q = new_queue(channel)
    assert channel_error(channel.queue_bind, q, x, "", arguments={"x-match": "bogus"}) == (
        406, 'PRECONDITION_FAILED - Invalid x-match field value <<"bogus">>; '
             'expected all, any, all-with-x, or any-with-x')


def test_amq_match_is_a_headers_exchange(channel):
    q = new_queue(channel)
    channel.queue_bind(q, "amq.match", "", arguments={"x-match": "all", "wt-key": q})
    channel.basic_publish("amq.match", "", b"match", pika.BasicProperties(headers={"wt-key": q}))
    channel.basic_publish("amq.match", "", b"nomatch", pika.BasicProperties(headers={"wt-key": "other"}))
    assert drain_get(channel, q) == [b"match"]
