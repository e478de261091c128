"""The x-delayed-message exchange, as RabbitMQ's community plugin
rabbitmq_delayed_message_exchange behaves (its README, rabbit_exchange_type_delayed_message.erl
and rabbit_delayed_message_utils.erl; the plugin is not part of the reference RabbitMQ these
tests were validated against, so these run against Warren only).

A message with an x-delay header (ms) is held back and routed through the exchange's bindings
(those of its x-delayed-type) when due, its x-delay header set to minus the delay; without one
it is routed at once. Warren keeps the held messages on disk: persistent ones in durable
exchanges survive a restart.
"""
import collections
import decimal
import json
import os
import random
import subprocess
import threading
import time
from pathlib import Path

import pika
import pytest

from conftest import WARREN_SERVER, requires_own_broker, start_warren
from support import (channel_error, confirmed, connection_error, pump, pump_until, uname,
                     wait_get)

pytestmark = [requires_own_broker, pytest.mark.timeout(60)]

DELAYED = "x-delayed-message"


def delayed_exchange(ch, kind="direct", name=None, durable=False):
    name = name or uname("wt-dx")
    ch.exchange_declare(name, DELAYED, durable=durable, arguments={"x-delayed-type": kind})
    return name


def props(delay=None, persistent=False, **headers):
    if delay is not None:
        headers["x-delay"] = delay
    return pika.BasicProperties(headers=headers or None, delivery_mode=2 if persistent else 1)


class Collector:
    """Consumes a queue, recording (body, headers, arrival time) of each message."""

    def __init__(self, ch, queue):
        self.ch = ch
        self.got = []
        ch.basic_consume(queue, self.on_message, auto_ack=True)

    def on_message(self, ch, method, properties, body):
        self.got.append((body, properties.headers or {}, time.monotonic()))

    def bodies(self):
        return [b for b, _, _ in self.got]

    def wait(self, count, timeout=10.0):
        pump_until(self.ch.connection, lambda: len(self.got) >= count, timeout=timeout,
                   message="%d of %d messages arrived" % (len(self.got), count))
        return self.got


def bound_queue(ch, exchange, key="", arguments=None, durable=False):
    q = uname("wt-dq")
    ch.queue_declare(q, durable=durable)
    ch.queue_bind(q, exchange, key, arguments=arguments)
    return q


# ---------------------------------------------------------------------------
# Declaring
# ---------------------------------------------------------------------------

def test_declare_without_x_delayed_type_is_refused(connection):
    ch = connection.channel()
    assert channel_error(ch.exchange_declare, uname("wt-dx"), DELAYED) == (
        406, "PRECONDITION_FAILED - Invalid argument, 'x-delayed-type' must be an existing "
             "exchange type")
    ch = connection.channel()
    assert channel_error(ch.exchange_declare, uname("wt-dx"), DELAYED,
                         arguments={"x-delayed-type": 5}) == (
        406, "PRECONDITION_FAILED - Invalid argument, 'x-delayed-type' must be an existing "
             "exchange type")


def test_declare_with_x_delayed_message_as_its_own_type_is_refused(connection):
    ch = connection.channel()
    assert channel_error(ch.exchange_declare, uname("wt-dx"), DELAYED,
                         arguments={"x-delayed-type": DELAYED}) == (
        406, "PRECONDITION_FAILED - Invalid argument, 'x-delayed-message' can't be used for "
             "'x-delayed-type'")


def test_declare_with_an_unknown_x_delayed_type_closes_the_connection(connect):
    conn = connect()
    ch = conn.channel()
    assert connection_error(ch.exchange_declare, uname("wt-dx"), DELAYED,
                            arguments={"x-delayed-type": "nope"}) == (
        503, "COMMAND_INVALID - unknown exchange type 'nope'")


def test_redeclare_and_passive_declare(channel):
    name = delayed_exchange(channel, "topic")
    channel.exchange_declare(name, DELAYED, arguments={"x-delayed-type": "topic"})
    channel.exchange_declare(name, DELAYED, passive=True)


# ---------------------------------------------------------------------------
# Holding and releasing
# ---------------------------------------------------------------------------

def test_messages_arrive_in_due_time_order_not_publish_order(channel):
    x = delayed_exchange(channel)
    q = bound_queue(channel, x, "k")
    c = Collector(channel, q)
    start = time.monotonic()
    for body, delay in ((b"c", 1500), (b"a", 500), (b"b", 1000)):
        channel.basic_publish(x, "k", body, props(delay))
    pump(channel.connection, 0.2)
    assert c.got == [], "nothing arrives before it is due"
    got = c.wait(3)
    assert c.bodies() == [b"a", b"b", b"c"]
    for (body, _, at), delay in zip(got, (0.5, 1.0, 1.5)):
        assert at - start >= delay - 0.01, (body, at - start)
        assert at - start < delay + 0.5, (body, at - start)


def test_without_x_delay_routes_at_once_and_leaves_headers_alone(channel):
    x = delayed_exchange(channel)
    q = bound_queue(channel, x, "k")
    c = Collector(channel, q)
    channel.basic_publish(x, "k", b"plain", props())
    channel.basic_publish(x, "k", b"other-header", props(colour="red"))
    channel.basic_publish(x, "k", b"zero", props(0))
    channel.basic_publish(x, "k", b"negative", props(-2000))
    got = c.wait(4, timeout=2.0)
    assert c.bodies() == [b"plain", b"other-header", b"zero", b"negative"]
    assert got[1][1] == {"colour": "red"}
    assert got[2][1] == {"x-delay": 0}
    assert got[3][1] == {"x-delay": -2000}


def test_delivered_x_delay_header_is_minus_the_delay(channel):
    x = delayed_exchange(channel)
    q = bound_queue(channel, x, "k")
    c = Collector(channel, q)
    channel.basic_publish(x, "k", b"d", pika.BasicProperties(
        headers={"x-delay": 300, "colour": "blue"}, content_type="text/plain",
        correlation_id="c-1"))
    (body, headers, _), = c.wait(1)
    assert headers == {"x-delay": -300, "colour": "blue"}


def test_string_and_decimal_delays_are_read_as_the_plugin_reads_them(channel):
    x = delayed_exchange(channel)
    q = bound_queue(channel, x, "k")
    c = Collector(channel, q)
    start = time.monotonic()
    channel.basic_publish(x, "k", b"decimal", props(decimal.Decimal("400.9")))
    channel.basic_publish(x, "k", b"string", props("300"))
    got = c.wait(2)
    assert c.bodies() == [b"string", b"decimal"]
    assert got[0][1]["x-delay"] == -300
    assert got[1][1]["x-delay"] == -400
    assert got[0][2] - start >= 0.29


def test_delay_beyond_the_plugins_limit_routes_at_once(channel):
    x = delayed_exchange(channel)
    q = bound_queue(channel, x, "k")
    c = Collector(channel, q)
    channel.basic_publish(x, "k", b"huge", props(2 ** 32))
    (_, headers, _), = c.wait(1, timeout=2.0)
    assert headers == {"x-delay": 2 ** 32}


@pytest.mark.parametrize("kind", ["direct", "topic", "fanout", "headers"])
def test_routes_as_its_x_delayed_type(channel, kind):
    x = delayed_exchange(channel, kind)
    if kind == "headers":
        hit = bound_queue(channel, x, arguments={"x-match": "all", "colour": "red"})
        miss = bound_queue(channel, x, arguments={"x-match": "all", "colour": "green"})
        key = "any"
    elif kind == "topic":
        hit = bound_queue(channel, x, "a.*")
        miss = bound_queue(channel, x, "b.#")
        key = "a.x"
    elif kind == "fanout":
        hit = bound_queue(channel, x, "whatever")
        miss = None
        key = "k"
    else:
        hit = bound_queue(channel, x, "a")
        miss = bound_queue(channel, x, "b")
        key = "a"
    c = Collector(channel, hit)
    other = Collector(channel, miss) if miss else None
    channel.basic_publish(x, key, b"later", props(200, colour="red"))
    channel.basic_publish(x, key, b"now", props(colour="red"))
    c.wait(2)
    assert c.bodies() == [b"now", b"later"]
    if other:
        pump(channel.connection, 0.2)
        assert other.got == []


def test_headers_bindings_are_validated_as_the_headers_type_does(channel):
    x = delayed_exchange(channel, "headers")
    q = uname("wt-dq")
    channel.queue_declare(q)
    assert channel_error(channel.queue_bind, q, x, "", arguments={"x-match": "some"}) == (
        406, "PRECONDITION_FAILED - Invalid x-match field value <<\"some\">>; expected all, "
             "any, all-with-x, or any-with-x")


def test_released_messages_follow_exchange_to_exchange_bindings(channel):
    x = delayed_exchange(channel)
    downstream = uname("wt-x")
    channel.exchange_declare(downstream, "fanout")
    channel.exchange_bind(downstream, x, "k")
    q = bound_queue(channel, downstream)
    c = Collector(channel, q)
    channel.basic_publish(x, "k", b"e2e", props(100))
    (_, headers, _), = c.wait(1)
    assert headers == {"x-delay": -100}


def test_mandatory_delayed_messages_are_returned_at_once_yet_delivered(connection):
    # The plugin routes a delayed message to no queue at publish time, so a mandatory one
    # always comes back 312 NO_ROUTE (its README's "Limitations"; issue #7). Warren matches.
    ch = connection.channel()
    returned = []
    ch.add_on_return_callback(lambda c, method, p, body: returned.append((method, body)))
    x = delayed_exchange(ch)
    q = bound_queue(ch, x, "k")
    c = Collector(ch, q)
    ch.basic_publish(x, "k", b"held", props(300), mandatory=True)
    ch.basic_publish(x, "k", b"direct", props(), mandatory=True)
    pump_until(connection, lambda: returned, timeout=2.0)
    assert [(m.reply_code, m.reply_text, body) for m, body in returned] == [
        (312, "NO_ROUTE", b"held")]
    c.wait(2)
    assert c.bodies() == [b"direct", b"held"]


def test_confirms_come_when_stored_not_when_delivered(connection):
    ch = confirmed(connection.channel())
    x = delayed_exchange(ch, durable=True)
    q = bound_queue(ch, x, "k", durable=True)
    start = time.monotonic()
    ch.basic_publish(x, "k", b"persistent", props(2000, persistent=True))
    ch.basic_publish(x, "k", b"transient", props(2000))
    assert time.monotonic() - start < 1.0, "confirmed long before the delay ends"
    assert ch.queue_declare(q, passive=True).method.message_count == 0
    c = Collector(ch, q)
    c.wait(2)
    assert sorted(c.bodies()) == [b"persistent", b"transient"]


def test_deleting_the_exchange_drops_its_held_messages(channel):
    x = delayed_exchange(channel)
    q = bound_queue(channel, x, "k")
    channel.basic_publish(x, "k", b"gone", props(300))
    channel.exchange_delete(x)
    delayed_exchange(channel, name=x)
    channel.queue_bind(q, x, "k")
    pump(channel.connection, 0.6)
    assert channel.queue_declare(q, passive=True).method.message_count == 0


def test_many_messages_with_the_same_due_time_keep_publish_order(channel):
    x = delayed_exchange(channel)
    q = bound_queue(channel, x, "k")
    c = Collector(channel, q)
    for i in range(2000):
        channel.basic_publish(x, "k", b"%d" % i, props(500))
    c.wait(2000)
    assert c.bodies() == [b"%d" % i for i in range(2000)]


def test_cc_and_bcc_keys_route_the_released_message(channel):
    # The plugin keeps the message's routing keys (its routing key, then CC and BCC) and
    # routes by all of them when it falls due; BCC is stripped as for any publish.
    x = delayed_exchange(channel)
    main, cc, bcc, other = (bound_queue(channel, x, k) for k in ("main", "cc1", "bcc1", "no"))
    collectors = {q: Collector(channel, q) for q in (main, cc, bcc, other)}
    channel.basic_publish(x, "main", b"sent", props(200, CC=["cc1"], BCC=["bcc1"]))
    for q in (main, cc, bcc):
        (body, headers, _), = collectors[q].wait(1)
        assert body == b"sent"
        assert headers == {"x-delay": -200, "CC": ["cc1"]}
    pump(channel.connection, 0.2)
    assert collectors[other].got == []
    assert [len(collectors[q].got) for q in (main, cc, bcc)] == [1, 1, 1], "once each"


# ---------------------------------------------------------------------------
# Restart and definitions
# ---------------------------------------------------------------------------

def test_persistent_delayed_messages_survive_a_restart(fresh_broker):
    b = fresh_broker
    conn = b.connect()
    ch = confirmed(conn.channel())
    x = delayed_exchange(ch, "topic", name="wt-dx-durable", durable=True)
    q = bound_queue(ch, x, "t.#", durable=True)
    published = time.time()
    ch.basic_publish(x, "t.a", b"overdue", props(300, persistent=True))
    ch.basic_publish(x, "t.b", b"later", props(4000, persistent=True))
    ch.basic_publish(x, "t.c", b"transient", props(300))
    conn.close()
    b.process.stop()
    time.sleep(0.5)  # "overdue" falls due while the broker is down
    b.process.start()
    conn = b.connect()
    ch = conn.channel()
    c = Collector(ch, q)
    got = c.wait(1)
    assert c.bodies() == [b"overdue"], "released at once after the restart"
    assert got[0][1] == {"x-delay": -300}
    got = c.wait(2)
    assert c.bodies() == [b"overdue", b"later"]
    assert time.time() - published >= 3.99, "released on time, not early"
    pump(conn, 0.5)
    assert c.bodies() == [b"overdue", b"later"], "the transient one was lost"
    conn.close()
    # Released messages are in the queue's care now: nothing comes back after a restart.
    b.process.restart()
    ch = b.connect().channel()
    assert ch.queue_declare(q, passive=True).method.message_count == 0


def test_released_persistent_messages_are_durable_in_their_queue(fresh_broker):
    b = fresh_broker
    conn = b.connect()
    ch = confirmed(conn.channel())
    x = delayed_exchange(ch, name="wt-dx-durable2", durable=True)
    q = bound_queue(ch, x, "k", durable=True)
    ch.basic_publish(x, "k", b"p", props(100, persistent=True))
    pump_until(conn, lambda: ch.queue_declare(q, passive=True).method.message_count == 1)
    conn.close()
    b.process.restart()
    ch = b.connect().channel()
    method, properties, body = ch.basic_get(q, auto_ack=True)
    assert body == b"p"
    assert properties.headers == {"x-delay": -100}


def test_definitions_round_trip(fresh_broker):
    b = fresh_broker
    conn = b.connect()
    ch = conn.channel()
    ch.exchange_declare("wt-dx-defs", DELAYED, durable=True,
                        arguments={"x-delayed-type": "topic"})
    ch.queue_declare("wt-dq-defs", durable=True)
    ch.queue_bind("wt-dq-defs", "wt-dx-defs", "a.#")
    conn.close()
    pump_until_saved = time.monotonic() + 5
    while time.monotonic() < pump_until_saved:
        defs = json.loads((b.process.data_dir / "definitions.json").read_text())
        if any(x["name"] == "wt-dx-defs" for x in defs["exchanges"]):
            break
        time.sleep(0.05)
    exported = [x for x in defs["exchanges"] if x["name"] == "wt-dx-defs"]
    assert exported == [{"name": "wt-dx-defs", "vhost": "/", "type": DELAYED, "durable": True,
                         "auto_delete": False, "internal": False,
                         "arguments": {"x-delayed-type": "topic"}}]
    path = b.process.workdir / "exported.json"
    path.write_text(json.dumps(defs))
    other = start_warren("warren-dx-", extra_args=["--load-definitions", str(path)])
    try:
        conn = other.connect()
        ch = conn.channel()
        ch.exchange_declare("wt-dx-defs", DELAYED, passive=True)
        c = Collector(ch, "wt-dq-defs")
        ch.basic_publish("wt-dx-defs", "a.b", b"imported", props(200))
        (_, headers, _), = c.wait(1)
        assert headers == {"x-delay": -200}
        conn.close()
    finally:
        other.process.stop_and_clean()


def test_bcc_of_a_persistent_delayed_message_survives_a_restart(fresh_broker):
    b = fresh_broker
    conn = b.connect()
    ch = confirmed(conn.channel())
    x = delayed_exchange(ch, name="wt-dx-bcc", durable=True)
    main = bound_queue(ch, x, "main", durable=True)
    hidden = bound_queue(ch, x, "hidden", durable=True)
    ch.basic_publish(x, "main", b"p", props(1500, persistent=True, BCC="hidden"))
    conn.close()
    b.process.restart()
    ch = b.connect().channel()
    for q in (main, hidden):
        method, properties, body = wait_get(ch, q, timeout=10.0)
        assert body == b"p"
        assert properties.headers == {"x-delay": -1500}


def warrenctl_status(b):
    ctl = os.environ.get("WARRENCTL") or str(Path(WARREN_SERVER).parent / "warrenctl")
    out = subprocess.run([ctl, "--data-dir", str(b.process.data_dir), "status", "--formatter",
                          "json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)["delayed_messages"]


def test_status_counts_pending_and_released_messages_and_their_lateness(fresh_broker):
    b = fresh_broker
    assert warrenctl_status(b) == {
        "pending": 0, "released": 0, "released_overdue_at_start": 0,
        "release_lateness_ms": {"p50": 0.0, "p99": 0.0, "p999": 0.0, "max": 0.0}}
    conn = b.connect()
    ch = conn.channel()
    x = delayed_exchange(ch)
    q = bound_queue(ch, x, "k")
    c = Collector(ch, q)
    for i in range(20):
        ch.basic_publish(x, "k", b"%d" % i, props(100 + i))
    for i in range(3):
        ch.basic_publish(x, "k", b"later", props(600000))
    c.wait(20)
    st = warrenctl_status(b)
    assert st["pending"] == 3
    assert st["released"] == 20 and st["released_overdue_at_start"] == 0
    late = st["release_lateness_ms"]
    assert 0 <= late["p50"] <= late["p99"] <= late["p999"] <= late["max"]
    conn.close()


def delayed_publisher(b, x, tag, delays, confirmed_bodies, stop):
    try:
        conn = b.connect()
        ch = conn.channel()
        ch.confirm_delivery()
        n = 0
        while not stop.is_set():
            body = ("%s-%d" % (tag, n)).encode()
            ch.basic_publish(x, "k", body, props(delays[n % len(delays)], persistent=True))
            confirmed_bodies.append(body)  # basic_publish returned: confirmed
            n += 1
    except (pika.exceptions.AMQPError, OSError):
        pass  # the broker died under us: expected


@pytest.mark.timeout(240)
def test_confirmed_delayed_messages_survive_kill_9_and_are_released_once(fresh_broker):
    # Publishers send persistent delayed messages with confirms, some due before the kill
    # (already released into the durable queue), some after the restart; the broker is
    # killed with SIGKILL at a random moment. Every confirmed message must arrive, and no
    # message twice.
    b = fresh_broker
    rng = random.Random(20261124)
    conn = b.connect()
    ch = conn.channel()
    x = delayed_exchange(ch, name="wt-dx-crash", durable=True)
    q = bound_queue(ch, x, "k", durable=True)
    conn.close()
    for round_no in range(4):
        confirmed_bodies, stop = [], threading.Event()
        threads = [threading.Thread(
            target=delayed_publisher,
            args=(b, x, "r%d-p%d" % (round_no, i), (50, 400, 1200, 2500), confirmed_bodies,
                  stop)) for i in range(2)]
        for t in threads:
            t.start()
        time.sleep(rng.uniform(0.3, 1.0))
        b.process.kill()
        stop.set()
        for t in threads:
            t.join(timeout=20)
        assert confirmed_bodies, "round %d: nothing was confirmed before the kill" % round_no
        b.process.start()
        conn = b.connect()
        ch = conn.channel()
        c = Collector(ch, q)
        expected = set(confirmed_bodies)
        pump_until(conn, lambda: expected <= set(c.bodies()), timeout=20,
                   message="round %d: %d of %d confirmed messages arrived" % (
                       round_no, len(expected & set(c.bodies())), len(expected)))
        pump(conn, 3.0)  # the longest delay again: nothing may come twice
        twice = sorted(body for body, n in collections.Counter(c.bodies()).items() if n > 1)
        assert not twice, "round %d: delivered twice: %r" % (round_no, twice[:5])
        conn.close()
